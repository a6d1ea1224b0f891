import { after, before, test } from 'node:test';
import { startBrowserRig, type BrowserRig } from '../support/browser.ts';
import { DESKTOP, curatorGivesEveryPart } from '../support/curation-journeys.ts';
import { aTenant } from '../support/factories.ts';
import { aUserWithPassword } from '../support/identity-factories.ts';

// A curator gives every part of a new service, at desktop width. Each journey is in its own file
// (curation.test.ts, curation-phone.test.ts, curation-provider.test.ts) so each file stays well within
// the runner's time limit.

let rig: BrowserRig;
const curator = 'curator@curation.example';
before(async () => {
  rig = await startBrowserRig();
  await aUserWithPassword(rig.database, { tenantId: (await aTenant(rig.database)).id, roles: ['curator'], email: curator });
});
after(() => rig.close());

test('a curator adds a service and gives every part of it (desktop)', () => curatorGivesEveryPart(rig, DESKTOP, curator));
