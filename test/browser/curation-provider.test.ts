import { after, before, test } from 'node:test';
import { startBrowserRig, type BrowserRig } from '../support/browser.ts';
import { DESKTOP, PHONE, providerProposesAndCuratorApproves } from '../support/curation-journeys.ts';
import { aTenant } from '../support/factories.ts';
import { aUserWithPassword } from '../support/identity-factories.ts';

// A provider proposes changes and a new service and a curator approves them, on a phone and at desktop width. Each journey is in its own file
// (curation.test.ts, curation-phone.test.ts, curation-provider.test.ts) so each file stays well within
// the runner's time limit.

let rig: BrowserRig;
let tenantId: string;
const curator = 'curator@curation.example';
before(async () => {
  rig = await startBrowserRig();
  tenantId = (await aTenant(rig.database)).id;
  await aUserWithPassword(rig.database, { tenantId, roles: ['curator'], email: curator });
});
after(() => rig.close());

test('a provider proposes changes and a new service, and a curator approves them (375 px)', () =>
  providerProposesAndCuratorApproves(rig, PHONE, tenantId, curator));
test('a provider proposes changes and a new service, and a curator approves them (desktop)', () =>
  providerProposesAndCuratorApproves(rig, DESKTOP, tenantId, curator));
