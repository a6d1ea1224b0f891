import { assessmentTimeline } from '../assessment/service.ts';
import { dischargeTimeline } from '../discharge/service.ts';
import { registerTimelineSource } from '../referrals/service.ts';
import { planTimeline } from './service.ts';
import './nudges.ts';

// The person page shows assessments, safeguarding, goals, social prescriptions and discharges.
registerTimelineSource(async (tx, tenantId, personIds, referralIds) => [
  ...await assessmentTimeline(tx, tenantId, personIds),
  ...await planTimeline(tx, tenantId, personIds),
  ...await dischargeTimeline(tx, tenantId, referralIds),
]);
