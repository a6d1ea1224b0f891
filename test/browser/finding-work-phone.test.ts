import { test } from 'node:test';
import { findingWorkJourney } from './finding-work-journey.ts';

test('finding people and work on a 375 px screen: home pages per role, search, bulk allocation, header counts, responses, the week and its calendar file, paged referrals', async () => {
  await findingWorkJourney({ width: 375, height: 812 });
});
