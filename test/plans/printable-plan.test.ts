import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { addGoal } from '../../src/plans/service.ts';
import { createOnwardReferral } from '../../src/social-prescriptions/service.ts';
import { testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { aProviderService, aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;
before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
});
after(async () => {
  await app.close();
  await database.close();
});

async function pdfText(bytes: Buffer): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), verbosity: 0 }).promise;
  const parts: string[] = [];
  for (let n = 1; n <= doc.numPages; n++)
    parts.push((await (await doc.getPage(n)).getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join(' '));
  return parts.join(' ').replace(/\s+/g, ' ');
}

test('the printable plan and its PDF list the goals and the services with when and where they meet', async () => {
  const team = await aSocialPrescribingTeam(database);
  const referred = await aProviderService(database, team.provider, {
    name: 'Tuesday Growers',
    byday: 'TU',
    opensAt: '10:00',
    closesAt: '12:00',
  });
  const signposted = await aDirectoryService(database, {
    name: 'Friday Knit and Natter',
    byday: 'FR',
    opensAt: '14:00',
    closesAt: '16:00',
  });
  const { referralId } = await anEpisodeInContact(database, team, { givenName: 'Gwen', familyName: 'Planner' });
  await addGoal(database.pool, team.worker, referralId, {
    goal: 'Make two new friends',
    steps: 'Go to the knitting group',
    reviewDate: '2030-05-01',
  });
  await createOnwardReferral(database.pool, team.worker, referralId, { kind: 'refer', serviceId: referred.id, consent: true });
  await createOnwardReferral(database.pool, team.worker, referralId, { kind: 'signpost', serviceId: signposted.id });
  const cookies = await signInAs(app, database, team.worker);

  const page = await app.inject({ url: `/referrals/${referralId}/plan`, cookies });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Make two new friends/);
  assert.match(page.body, /Tuesday Growers/);
  assert.match(page.body, /When: Tuesday 10:00 to 12:00/);
  assert.match(page.body, /Where: Test venue, 1 Test Street, Leeds, LS6 3AB/);

  const pdf = await app.inject({ url: `/referrals/${referralId}/plan.pdf`, cookies });
  assert.equal(pdf.headers['content-type'], 'application/pdf');
  const text = await pdfText(pdf.rawPayload);
  for (const expected of [
    'My plan: Gwen Planner',
    'Make two new friends',
    'We will look at this again on 1 May 2030',
    'Friday Knit and Natter',
    'When: Friday 14:00 to 16:00',
  ]) {
    assert.ok(text.includes(expected), `the PDF says "${expected}"`);
  }
});
