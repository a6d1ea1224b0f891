import { registerTimelineSource } from '../referrals/service.ts';
import { outcomeTimeline } from './service.ts';

// The person page lists each outcome measure with its score.
registerTimelineSource(async (tx, tenantId, personIds) => outcomeTimeline(tx, tenantId, personIds));
