import { test } from 'node:test';
import { findingWorkJourney } from './finding-work-journey.ts';

test('finding people and work on a desktop screen: home pages per role, search, bulk allocation, header counts, responses, the week and its calendar file, paged referrals', async () => {
  await findingWorkJourney({ width: 1280, height: 900 });
});
