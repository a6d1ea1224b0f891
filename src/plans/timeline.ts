import { assessmentTimeline } from '../assessment/service.ts';
import { dischargeTimeline } from '../discharge/service.ts';
import type { TimelineSource } from '../people/service.ts';
import { onwardTimeline } from '../social-prescriptions/service.ts';
import { planTimeline } from './service.ts';

/** Assessments, safeguarding, goals, social prescriptions and discharges, for the person page. */
export const planTimelineSource: TimelineSource = async (tx, tenantId, personIds, referralIds) => [
  ...(await assessmentTimeline(tx, tenantId, personIds)),
  ...(await planTimeline(tx, tenantId, personIds)),
  ...(await onwardTimeline(tx, tenantId, personIds)),
  ...(await dischargeTimeline(tx, tenantId, referralIds)),
];
