import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { dischargeReferral } from '../../src/discharge/service.ts';
import { meshAuthorization, readItk3Response } from '../../src/interop/mesh/service.ts';
import { allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { postForm, testApp, testConfig } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor, aPractice } from '../support/factories.ts';
import { aSocialPrescribingTeam } from '../support/plans-factories.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';
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

const MESH = {
  MESH_URL: 'http://127.0.0.1:3265',
  MESH_MAILBOX_ID: 'X26ABC1',
  MESH_MAILBOX_PASSWORD: 'password',
  MESH_SHARED_KEY: 'TestKey',
  MESH_SENDER_ODS_CODE: 'X26',
};

function configProblem(env: Record<string, string>): string {
  try {
    testConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return error.message;
  }
  return 'accepted';
}

test('MESH configuration: complete settings are read, and a bad value stops start-up with one line', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'signpost-mesh-tls-'));
  const cert = path.join(dir, 'client.pem');
  const key = path.join(dir, 'client.key');
  writeFileSync(cert, 'certificate');
  writeFileSync(key, 'key');

  assert.equal(testConfig({}).mesh, undefined);
  assert.deepEqual(testConfig({ ...MESH, MESH_MAILBOX_ID: 'x26abc1' }).mesh, {
    url: 'http://127.0.0.1:3265',
    mailboxId: 'X26ABC1',
    password: 'password',
    sharedKey: 'TestKey',
    senderOdsCode: 'X26',
    senderPhone: undefined,
    clientCertPath: undefined,
    clientKeyPath: undefined,
    caCertPath: undefined,
  });
  assert.equal(
    testConfig({ ...MESH, MESH_URL: 'https://mesh.example.nhs.uk/', MESH_CLIENT_CERT: cert, MESH_CLIENT_KEY: key }).mesh?.clientKeyPath,
    key,
  );

  assert.match(configProblem({ ...MESH, MESH_SHARED_KEY: '' }), /^MESH_SHARED_KEY must be set when MESH_URL is set$/);
  assert.match(configProblem({ MESH_MAILBOX_ID: 'X26ABC1' }), /^MESH_MAILBOX_ID is set but MESH_URL is not/);
  assert.match(configProblem({ ...MESH, MESH_URL: 'ftp://mesh' }), /^MESH_URL must start with http:\/\/ or https:\/\//);
  assert.match(configProblem({ ...MESH, MESH_URL: 'http://mesh.example.nhs.uk' }), /^MESH_URL must be https/);
  assert.match(configProblem({ ...MESH, MESH_URL: 'https://mesh.example.nhs.uk' }), /^MESH_CLIENT_CERT must be set for an https MESH_URL/);
  assert.match(
    configProblem({ ...MESH, MESH_URL: 'https://mesh.example.nhs.uk', MESH_CLIENT_CERT: cert }),
    /^MESH_CLIENT_KEY must be set with its pair/,
  );
  assert.match(
    configProblem({ ...MESH, MESH_CLIENT_CERT: path.join(dir, 'missing.pem'), MESH_CLIENT_KEY: key }),
    /^MESH_CLIENT_CERT names a file that cannot be read/,
  );
  assert.match(configProblem({ ...MESH, MESH_MAILBOX_ID: 'X 26' }), /^MESH_MAILBOX_ID must be a MESH mailbox id/);
  assert.match(configProblem({ ...MESH, MESH_SENDER_ODS_CODE: 'not an ods code' }), /^MESH_SENDER_ODS_CODE must be an ODS code/);
});

test("the MESH authorisation header is the MESH API's HMAC-SHA256 of mailbox, nonce, count, password and time", () => {
  // Expected value from the MESH sandbox's own generate_cipher_text (Python hmac, sha256).
  const header = meshAuthorization(
    { mailboxId: 'X26ABC1', password: 'password', sharedKey: 'TestKey' },
    new Date('2026-12-07T05:30:59Z'),
    '4f1e9c3a-0000-4000-8000-000000000001',
  );
  assert.equal(
    header,
    'NHSMESH X26ABC1:4f1e9c3a-0000-4000-8000-000000000001:1:202612070530:3b7e6cd69b2272eff8a81d4cee487552684a22f47659207fcd110baa3ab0d54f',
  );
});

test('ITK3 responses are read as infrastructure or business acknowledgements, and anything else is not one', () => {
  const response = (code: string, itk: string, diagnostics?: string) =>
    Buffer.from(
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'message',
        entry: [
          { resource: { resourceType: 'MessageHeader', response: { identifier: 'urn:uuid:0b8f8c59-8c6f-4a3e-9f0e-2a8c1e3c4d5e', code } } },
          {
            resource: {
              resourceType: 'OperationOutcome',
              issue: [
                {
                  severity: 'fatal',
                  code: 'processing',
                  diagnostics,
                  details: {
                    coding: [
                      {
                        system: 'https://fhir.nhs.uk/STU3/CodeSystem/ITK-ResponseCodes-1',
                        code: itk,
                        display: itk === '20002' ? 'Unrecognised Recipient Organisation' : undefined,
                      },
                    ],
                  },
                },
              ],
            },
          },
        ],
      }),
    );
  assert.deepEqual(readItk3Response(response('ok', '20013')), {
    answers: '0b8f8c59-8c6f-4a3e-9f0e-2a8c1e3c4d5e',
    kind: 'infrastructure',
    responseCode: 'ok',
    positive: true,
    itkCode: '20013',
    reason: undefined,
  });
  assert.deepEqual(readItk3Response(response('fatal-error', '20002')), {
    answers: '0b8f8c59-8c6f-4a3e-9f0e-2a8c1e3c4d5e',
    kind: 'infrastructure',
    responseCode: 'fatal-error',
    positive: false,
    itkCode: '20002',
    reason: 'Unrecognised Recipient Organisation',
  });
  const business = readItk3Response(response('fatal-error', '30002', 'Patient not found'));
  assert.equal(business?.kind, 'business');
  assert.equal(business?.reason, 'Patient not found');
  assert.equal(readItk3Response(Buffer.from('not json')), undefined);
  assert.equal(
    readItk3Response(Buffer.from(JSON.stringify({ resourceType: 'Bundle', entry: [{ resource: { resourceType: 'MessageHeader' } }] }))),
    undefined,
  );
});

test('without MESH the summary stays a page and a PDF, and the page says it was not sent electronically', async () => {
  const team = await aSocialPrescribingTeam(database);
  const practice = await aPractice(database, team.tenantId);
  await database.pool.query('UPDATE practice SET mesh_mailbox_id = $2 WHERE id = $1', [practice.id, 'X26ABC2']);
  const { referralId } = await aReferral(database, team.lead, { person: { practiceId: practice.id } });
  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  await recordContact(database.pool, team.worker, referralId, aContact({ outcome: 'made' }));
  const dischargeId = await dischargeReferral(database.pool, team.worker, referralId, {
    reason: 'goals_met',
    reasonNote: 'Confirmed with the person',
    summary: 'Doing well',
  });
  const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM gp_record_message WHERE referral_id = $1', [referralId]);
  assert.equal((rows[0] as { n: number }).n, 0);
  const { rows: jobs } = await database.pool.query(`SELECT count(*)::int AS n FROM job WHERE kind LIKE 'gp-record.%'`);
  assert.equal((jobs[0] as { n: number }).n, 0);

  const cookies = await signInAs(app, database, team.worker);
  const summary = await app.inject({ url: `/discharge-summaries/${dischargeId}`, cookies });
  assert.equal(summary.statusCode, 200);
  assert.match(summary.body, /was not sent to the GP record electronically: sending to GP records \(MESH\) is not set up/);
  assert.match(summary.body, /Download the summary as a PDF/);
  const referral = await app.inject({ url: `/referrals/${referralId}`, cookies });
  assert.match(referral.body, /Not sent electronically/);
  assert.doesNotMatch(referral.body, /Send to the GP record again/);
  const resend = await postForm(app, cookies, `/referrals/${referralId}/gp-record/send`, {}, `/referrals/${referralId}`);
  assert.equal(resend.statusCode, 409);
  assert.match(resend.body, /MESH is not configured/);
  // A referral still open shows nothing about the GP record.
  const { referralId: open } = await aReferral(database, team.lead);
  assert.doesNotMatch((await app.inject({ url: `/referrals/${open}`, cookies })).body, /id="gp-record"/);
});

test('the admin adds a practice with its MESH mailbox; a bad mailbox id is refused with a message at the field', async () => {
  const admin = await anActor(database, { roles: ['admin'] });
  const cookies = await signInAs(app, database, admin);
  const bad = await postForm(
    app,
    cookies,
    '/admin/practices',
    { odsCode: 'C84001', name: 'Bad Mailbox Surgery', meshMailboxId: 'not a mailbox!' },
    '/admin/practices',
  );
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /href="#meshMailboxId">\s*MESH mailbox ID must be 3 to 20 letters and numbers/);
  assert.equal((await database.pool.query(`SELECT count(*)::int AS n FROM practice WHERE ods_code = 'C84001'`)).rows[0].n, 0);

  const good = await postForm(
    app,
    cookies,
    '/admin/practices',
    { odsCode: 'C84001', name: 'Good Mailbox Surgery', meshMailboxId: 'c84001ot001' },
    '/admin/practices',
  );
  assert.equal(good.statusCode, 303);
  const page = await app.inject({ url: '/admin/practices', cookies });
  assert.match(page.body, /<td class="nhsuk-table__cell">C84001<\/td><td class="nhsuk-table__cell">C84001OT001<\/td>/);

  const practiceId = (await database.pool.query(`SELECT id FROM practice WHERE ods_code = 'C84001'`)).rows[0].id as string;
  const badSet = await postForm(
    app,
    cookies,
    '/admin/practices/mesh-mailbox',
    { mailboxPracticeId: practiceId, practiceMeshMailboxId: '??' },
    '/admin/practices',
  );
  assert.equal(badSet.statusCode, 400);
  assert.match(badSet.body, /href="#practiceMeshMailboxId"/);
  const cleared = await postForm(
    app,
    cookies,
    '/admin/practices/mesh-mailbox',
    { mailboxPracticeId: practiceId, practiceMeshMailboxId: '' },
    '/admin/practices',
  );
  assert.equal(cleared.statusCode, 303);
  assert.equal(
    (await database.pool.query('SELECT mesh_mailbox_id FROM practice WHERE id = $1', [practiceId])).rows[0].mesh_mailbox_id,
    null,
  );
});
