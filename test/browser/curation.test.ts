import { after, before, test } from 'node:test';
import { startBrowserRig, type BrowserRig } from '../support/browser.ts';
import { DESKTOP, PHONE, curatorGivesEveryPart, providerProposesAndCuratorApproves } from '../support/curation-journeys.ts';
import { aTenant } from '../support/factories.ts';
import { aUserWithPassword } from '../support/identity-factories.ts';

// The curator's journey at desktop width and the provider's on a phone; curation-phone.test.ts
// runs each at the other width.

let rig: BrowserRig;
let tenantId: string;
const curator = 'curator@curation.example';
before(async () => {
  rig = await startBrowserRig();
  tenantId = (await aTenant(rig.database)).id;
  await aUserWithPassword(rig.database, { tenantId, roles: ['curator'], email: curator });
});
after(() => rig.close());

test('a curator adds a service and gives every part of it (desktop)', () => curatorGivesEveryPart(rig, DESKTOP, curator));
test('a provider proposes changes and a new service, and a curator approves them (375 px)', () => providerProposesAndCuratorApproves(rig, PHONE, tenantId, curator));
