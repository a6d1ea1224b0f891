import type { TimelineSource } from '../people/service.ts';
import { outcomeTimeline } from './service.ts';

/** Each outcome measure with its score, for the person page. */
export const outcomeTimelineSource: TimelineSource = (tx, tenantId, personIds) => outcomeTimeline(tx, tenantId, personIds);
