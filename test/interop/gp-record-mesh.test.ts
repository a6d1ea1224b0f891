// Own process: registers the GP record jobs for the whole process against a MESH sandbox on a fixed port.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { MeshConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { dischargeReferral } from '../../src/discharge/service.ts';
import type { Actor } from '../../src/identity/actor.ts';
import {
  MeshClient,
  POLL_GP_RECORD_INBOX,
  registerGpRecordJobs,
  SEND_DOCUMENT_ACK_WORKFLOW,
  SEND_DOCUMENT_WORKFLOW,
} from '../../src/interop/mesh/service.ts';
import { registeredHandlers, scheduleJob } from '../../src/jobs/queue.ts';
import { JobWorker } from '../../src/jobs/worker.ts';
import { allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { postForm, testApp, testConfig } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { anActor, aPractice } from '../support/factories.ts';
import { startMeshSandbox, type MeshSandbox } from '../support/mesh-sandbox.ts';
import { aSocialPrescribingTeam } from '../support/plans-factories.ts';
import { aContact, aReferral, aTestNhsNumber } from '../support/referrals-factories.ts';
import { signInAs } from '../support/session.ts';
import { aReferralBundle, aSystem, aToken } from './support.ts';

// The practice's side is played with the same MESH client, on the sandbox's second mailbox.
const SANDBOX_PORT = 3265;
// Nothing listens here: MESH "down".
const CLOSED_PORT = 3268;
const SIGNPOST_MAILBOX = 'X26ABC1';
const PRACTICE_MAILBOX = 'X26ABC2';

let sandbox: MeshSandbox;
let database: Database;
let app: FastifyInstance;
let mesh: MeshConfig;
let practiceSide: MeshClient;

before(async () => {
  sandbox = await startMeshSandbox(SANDBOX_PORT);
  database = await freshDatabase();
  const env = {
    MESH_URL: sandbox.url,
    MESH_MAILBOX_ID: SIGNPOST_MAILBOX,
    MESH_MAILBOX_PASSWORD: 'password',
    MESH_SHARED_KEY: 'TestKey',
    MESH_SENDER_ODS_CODE: 'X26',
    MESH_SENDER_PHONE: '0113 496 0000',
  };
  mesh = testConfig(env).mesh!;
  app = await testApp(database, env);
  // Small chunks, so the summary travels in several: chunking is exercised both ways.
  registerGpRecordJobs(mesh, { chunkBytes: 4096 });
  practiceSide = new MeshClient({ url: sandbox.url, mailboxId: PRACTICE_MAILBOX, password: 'password', sharedKey: 'TestKey' });
});

after(async () => {
  practiceSide?.close();
  await app?.close();
  await database?.close();
  await sandbox?.stop();
});

/** Runs the GP record jobs that are due, with the handlers registered now (MESH up or down). */
const worker = {
  drain: () =>
    new JobWorker({
      pool: database.pool,
      handlers: new Map([...registeredHandlers()].filter(([kind]) => kind.startsWith('gp-record.'))),
      schedules: [],
    }).drain(),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking a parsed FHIR message as the practice would
type Resource = Record<string, any>;

/** A referral discharged by the team, for a person registered at `practiceId`. */
async function aDischargedReferral(team: { lead: Actor; worker: Actor }, practiceId: string, person: Record<string, unknown> = {}) {
  const nhsNumber = aTestNhsNumber();
  const { referralId } = await aReferral(database, team.lead, {
    person: { givenName: 'Gwen', familyName: 'Record', nhsNumber, practiceId, sex: 'female', dateOfBirth: '1951-02-03', ...person },
  });
  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  await recordContact(database.pool, team.worker, referralId, aContact({ outcome: 'made' }));
  const dischargeId = await dischargeReferral(database.pool, team.worker, referralId, {
    reason: 'goals_met',
    reasonNote: 'Confirmed with the person at the last contact',
    summary: 'Goes to the lunch club every week',
    outcomes: [{ measure: 'ONS4 life satisfaction', before: '3', after: '7' }],
  });
  return { referralId, dischargeId, nhsNumber };
}

async function messageRow(referralId: string) {
  const { rows } = await database.pool.query('SELECT * FROM gp_record_message WHERE referral_id = $1', [referralId]);
  return rows[0];
}

/** The practice reads its inbox as its GP system would: download, then acknowledge to MESH. */
async function practiceReceives() {
  const ids = await practiceSide.inbox();
  const downloads = [];
  for (const id of ids) {
    const download = await practiceSide.download(id);
    await practiceSide.acknowledge(id);
    downloads.push(download);
  }
  return downloads;
}

/** An ITK3 response Bundle as a GP system sends it back. */
function itkResponse(answers: string, code: 'ok' | 'fatal-error', itkCode: string, diagnostics?: string) {
  return Buffer.from(
    JSON.stringify({
      resourceType: 'Bundle',
      id: crypto.randomUUID(),
      type: 'message',
      entry: [
        {
          resource: {
            resourceType: 'MessageHeader',
            id: crypto.randomUUID(),
            event: { system: 'https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2', code: 'ITK008M' },
            response: { identifier: answers, code },
          },
        },
        {
          resource: {
            resourceType: 'OperationOutcome',
            id: crypto.randomUUID(),
            issue: [
              {
                severity: code === 'ok' ? 'information' : 'fatal',
                code: code === 'ok' ? 'informational' : 'business-rule',
                details: { coding: [{ system: 'https://fhir.nhs.uk/STU3/CodeSystem/ITK-ResponseCodes-1', code: itkCode }] },
                ...(diagnostics ? { diagnostics } : {}),
              },
            ],
          },
        },
      ],
    }),
  );
}

async function practiceAnswers(answers: string, code: 'ok' | 'fatal-error', itkCode: string, diagnostics?: string) {
  await practiceSide.send({
    to: SIGNPOST_MAILBOX,
    workflowId: SEND_DOCUMENT_ACK_WORKFLOW,
    body: itkResponse(answers, code, itkCode, diagnostics),
    contentType: 'application/fhir+json',
  });
}

async function pollInbox() {
  await scheduleJob(database.pool, { kind: POLL_GP_RECORD_INBOX });
  await worker.drain();
}

/**
 * Polls as the scheduled job does until the message reaches `state` (up to about 5 s): the sandbox
 * may list a message just sent on a later poll, as a real mailbox may.
 */
async function pollUntil(referralId: string, state: string): Promise<string> {
  let seen = '';
  for (let attempt = 0; attempt < 25; attempt++) {
    await pollInbox();
    seen = (await messageRow(referralId)).state;
    if (seen === state) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return seen;
}

async function referralPage(actor: Actor, referralId: string) {
  const page = await app.inject({ url: `/referrals/${referralId}`, cookies: await signInAs(app, database, actor) });
  assert.equal(page.statusCode, 200);
  return page.body;
}

test("a discharge reaches the practice mailbox as an ITK3 message, and the practice's acknowledgements show on the referral", async () => {
  const team = await aSocialPrescribingTeam(database);
  const admin = await anActor(database, { tenantId: team.tenantId, roles: ['admin'] });
  const practice = await aPractice(database, team.tenantId, { name: 'Leeds Road Surgery', odsCode: 'B86001' });
  // The admin gives the practice its MESH mailbox on the practice list.
  const adminCookies = await signInAs(app, database, admin);
  const saved = await postForm(
    app,
    adminCookies,
    '/admin/practices/mesh-mailbox',
    { mailboxPracticeId: practice.id, practiceMeshMailboxId: 'x26abc2' },
    '/admin/practices',
  );
  assert.equal(saved.statusCode, 303);
  const list = await app.inject({ url: saved.headers.location!.split('#')[0]!, cookies: adminCookies });
  assert.match(list.body, /The practice’s MESH mailbox was saved\./);
  assert.match(list.body, /<td class="nhsuk-table__cell">B86001<\/td><td class="nhsuk-table__cell">X26ABC2<\/td>/);

  const { referralId, dischargeId, nhsNumber } = await aDischargedReferral(team, practice.id);
  const queued = await messageRow(referralId);
  assert.equal(queued.state, 'queued');
  assert.equal(queued.to_mailbox, PRACTICE_MAILBOX);
  assert.match(await referralPage(team.worker, referralId), /Not yet sent/);

  await worker.drain();
  const sent = await messageRow(referralId);
  assert.equal(sent.state, 'sent');
  assert.ok(sent.mesh_message_id);
  assert.match(await referralPage(team.worker, referralId), /Sent to Leeds Road Surgery \(B86001\)&#39;s MESH mailbox on/);

  // The practice's GP system reads it from its mailbox.
  const [received, ...others] = await practiceReceives();
  assert.equal(others.length, 0);
  assert.equal(received!.messageId, sent.mesh_message_id);
  assert.equal(received!.from, SIGNPOST_MAILBOX);
  assert.equal(received!.workflowId, SEND_DOCUMENT_WORKFLOW);
  assert.equal(received!.localId, sent.tracking_id);
  assert.ok(received!.body.length > 4096, 'the message was big enough to go in chunks');
  const bundle = JSON.parse(received!.body.toString('utf8')) as Resource;
  assert.equal(bundle.resourceType, 'Bundle');
  assert.equal(bundle.type, 'message');
  assert.deepEqual(bundle.meta.profile, ['https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Message-Bundle-1']);
  assert.equal(bundle.identifier.value, bundle.id);
  const resources = (bundle.entry as Resource[]).map((e) => e.resource as Resource);
  for (const e of bundle.entry as Resource[]) assert.equal(e.fullUrl, `urn:uuid:${e.resource.id}`);
  const byRef = (ref: Resource) => resources.find((r) => `urn:uuid:${r.id}` === ref.reference)!;

  const header = resources[0]!;
  assert.equal(header.resourceType, 'MessageHeader', 'the MessageHeader comes first');
  assert.equal(header.id, sent.tracking_id);
  assert.equal(header.event.code, 'ITK007C');
  const handling = Object.fromEntries(
    (header.extension[0].extension as Resource[]).map((x) => [
      x.url,
      x.valueBoolean ?? x.valueString ?? x.valueCoding?.code ?? x.valueReference?.reference,
    ]),
  );
  assert.deepEqual(handling, {
    BusAckRequested: true,
    InfAckRequested: true,
    RecipientType: 'FA',
    MessageDefinition: 'https://fhir.nhs.uk/STU3/MessageDefinition/ITK-GPConnectSendDocument-MessageDefinition-Instance-1',
    SenderReference: `urn:uuid:${dischargeId}`,
    LocalExtension: 'None',
  });
  assert.equal(header.destination[0].endpoint, PRACTICE_MAILBOX);
  assert.equal(byRef(header.sender).identifier[0].value, 'X26');
  assert.deepEqual(byRef(header.sender).telecom, [{ system: 'phone', value: '0113 496 0000' }]);
  assert.equal(byRef(header.destination[0].receiver).identifier[0].value, 'B86001');

  const composition = byRef(header.focus[0]);
  assert.equal(composition.resourceType, 'Composition');
  assert.equal(composition.status, 'final');
  const patient = byRef(composition.subject);
  assert.deepEqual(patient.identifier, [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber }]);
  assert.deepEqual(patient.name, [{ use: 'official', family: 'Record', given: ['Gwen'] }]);
  assert.equal(patient.birthDate, '1951-02-03');
  assert.equal(patient.gender, 'female');
  assert.equal(byRef(composition.author[0]).name[0].use, 'official');

  // The first section carries the PDF; the others, the summary's sections as text.
  const first = composition.section[0];
  const documentReference = byRef(first.entry[0]);
  assert.equal(documentReference.resourceType, 'DocumentReference');
  const attachment = documentReference.content[0].attachment;
  assert.equal(attachment.contentType, 'application/pdf');
  assert.equal(Buffer.from(attachment.data, 'base64').subarray(0, 5).toString(), '%PDF-');
  // The PRSB headings of the summary, in its order.
  assert.deepEqual(
    composition.section.slice(1).map((s: Resource) => s.title),
    [
      'Person demographics',
      'GP practice',
      'Referrer details',
      'What matters to me',
      'Needs and concerns',
      'Personalised care and support plan',
      'Activities referred to',
      'Outcome measures',
      'Social prescribing outcome',
      'Coded entries (SNOMED CT)',
    ],
  );
  const outcomes = composition.section.find((s: Resource) => s.title === 'Outcome measures');
  assert.match(outcomes.text.div, /ONS4 life satisfaction: before 3, after 7/);
  assert.match(outcomes.text.div, /^<div xmlns="http:\/\/www.w3.org\/1999\/xhtml">/);
  assert.ok(
    composition.event[0].code.map((c: Resource) => c.coding[0].code).includes('871731000000106'),
    'the social prescribing referral code',
  );

  // Infrastructure acknowledgement: delivered to the practice's system.
  await practiceAnswers(header.id, 'ok', '20013');
  assert.equal(await pollUntil(referralId, 'delivered'), 'delivered');
  assert.match(await referralPage(team.worker, referralId), /Delivered to the practice&#39;s system on/);

  // Business acknowledgement: filed in the GP record.
  await practiceAnswers(header.id, 'ok', '30001');
  assert.equal(await pollUntil(referralId, 'accepted'), 'accepted');
  const page = await referralPage(team.worker, referralId);
  assert.match(page, /Accepted by the practice/);
  assert.match(page, /Accepted into the GP record by the practice on/);
  assert.doesNotMatch(page, /Send to the GP record again/);
  assert.deepEqual(await practiceSide.inbox(), [], 'nothing is left for the practice');
  assert.equal(
    (
      (await database.pool.query('SELECT count(*)::int AS n FROM gp_record_acknowledgement WHERE message_id = $1', [queued.id]))
        .rows[0] as { n: number }
    ).n,
    2,
  );

  // The referrer who sees the summary sees the same.
  const summary = await app.inject({ url: `/discharge-summaries/${dischargeId}`, cookies: await signInAs(app, database, team.worker) });
  assert.match(summary.body, /Accepted by the practice/);
});

test("a referral a GP system sent over FHIR closes the loop both ways: its discharge is the Task's DocumentReference and the ITK3 message the practice files", async () => {
  const team = await aSocialPrescribingTeam(database);
  const practice = await aPractice(database, team.tenantId, { name: 'Closed Loop Surgery', odsCode: 'B86002' });
  await database.pool.query('UPDATE practice SET mesh_mailbox_id = $2 WHERE id = $1', [practice.id, PRACTICE_MAILBOX]);
  const system = await aSystem(database, { tenantId: team.tenantId, practiceId: practice.id, name: 'Closed Loop Surgery GP system' });
  const token = await aToken(app, system);
  const fhir = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/fhir+json' } : {}) },
      ...(body ? { payload: JSON.stringify(body) } : {}),
    });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    return res.json() as Resource;
  };
  const nhsNumber = aTestNhsNumber();
  const created = await fhir('POST', '/fhir', aReferralBundle({ nhsNumber, family: 'Meshloop' }));
  const referralId = (created.entry as Resource[]).map((e) => e.resource).find((r: Resource) => r.resourceType === 'ServiceRequest')
    .id as string;

  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  await recordContact(database.pool, team.worker, referralId, aContact({ outcome: 'made' }));
  const dischargeId = await dischargeReferral(database.pool, team.worker, referralId, {
    reason: 'person_chose_to_end',
    summary: 'Back at the allotment most days.',
  });

  // The referrer's system polls its Task: completed, with the summary as a DocumentReference.
  const task = (await fhir('GET', `/fhir/Task?based-on=ServiceRequest/${referralId}`)).entry[0].resource as Resource;
  assert.equal(task.status, 'completed');
  const documentRef = (task.output as Resource[])
    .map((o) => o.valueReference.reference as string)
    .find((r) => r.startsWith('DocumentReference/'));
  assert.equal(documentRef, `DocumentReference/${dischargeId}`);
  const viaApi = await fhir('GET', `/fhir/${documentRef}`);
  assert.equal(Buffer.from(viaApi.content[0].attachment.data, 'base64').subarray(0, 5).toString(), '%PDF-');

  // The same discharge goes to the practice's mailbox and is acknowledged back onto the referral.
  await worker.drain();
  const row = await messageRow(referralId);
  assert.equal(row.discharge_id, dischargeId);
  assert.equal(row.state, 'sent');
  const received = (await practiceReceives()).find((m) => m.localId === row.tracking_id)!;
  assert.ok(received, 'the practice received the message');
  const resources = (JSON.parse(received.body.toString('utf8')).entry as Resource[]).map((e) => e.resource as Resource);
  const patient = resources.find((r) => r.resourceType === 'Patient')!;
  assert.deepEqual(patient.identifier, [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber }]);
  const composition = resources.find((r) => r.resourceType === 'Composition')!;
  assert.match(JSON.stringify(composition.section), /Back at the allotment most days\./);
  const header = resources[0]!;
  // One acknowledgement at a time, as a practice's system sends them: the inbox lists in no set order.
  await practiceAnswers(header.id, 'ok', '20013');
  assert.equal(await pollUntil(referralId, 'delivered'), 'delivered');
  await practiceAnswers(header.id, 'ok', '30001');
  assert.equal(await pollUntil(referralId, 'accepted'), 'accepted');
  assert.match(await referralPage(team.worker, referralId), /Accepted into the GP record by the practice on/);
});

test("a rejected business acknowledgement shows the practice's reason, and the summary can be sent again", async () => {
  const team = await aSocialPrescribingTeam(database);
  const practice = await aPractice(database, team.tenantId, { name: 'Moor Lane Practice' });
  await database.pool.query('UPDATE practice SET mesh_mailbox_id = $2 WHERE id = $1', [practice.id, PRACTICE_MAILBOX]);
  const { referralId } = await aDischargedReferral(team, practice.id);
  await worker.drain();
  const [received] = await practiceReceives();
  const header = (JSON.parse(received!.body.toString('utf8')) as Resource).entry[0].resource as Resource;

  await practiceAnswers(header.id, 'ok', '20013');
  await practiceAnswers(header.id, 'fatal-error', '30002', 'The patient is not registered at this practice');
  assert.equal(await pollUntil(referralId, 'rejected'), 'rejected');
  const page = await referralPage(team.worker, referralId);
  assert.match(page, /Rejected by the practice/);
  assert.match(page, /<strong>Reason:<\/strong> The patient is not registered at this practice/);

  const again = await postForm(
    app,
    await signInAs(app, database, team.worker),
    `/referrals/${referralId}/gp-record/send`,
    {},
    `/referrals/${referralId}`,
  );
  assert.equal(again.statusCode, 303);
  assert.equal((await messageRow(referralId)).state, 'queued');
  await worker.drain();
  assert.equal((await messageRow(referralId)).state, 'sent');
  assert.equal((await practiceReceives()).length, 1);
});

test('with MESH down the job retries and the referral shows "not yet sent" until it goes', async () => {
  const team = await aSocialPrescribingTeam(database);
  const practice = await aPractice(database, team.tenantId);
  await database.pool.query('UPDATE practice SET mesh_mailbox_id = $2 WHERE id = $1', [practice.id, PRACTICE_MAILBOX]);
  registerGpRecordJobs({ ...mesh, url: `http://127.0.0.1:${CLOSED_PORT}` });
  try {
    const { referralId } = await aDischargedReferral(team, practice.id);
    await worker.drain();
    const row = await messageRow(referralId);
    assert.equal(row.state, 'queued');
    assert.equal(row.attempts, 1);
    assert.match(row.reason, /MESH could not be reached/);
    const {
      rows: [job],
    } = await database.pool.query(
      `SELECT state, attempts, run_at > now() AS later FROM job WHERE kind = 'gp-record.send' AND payload->>'messageId' = $1`,
      [row.id],
    );
    assert.deepEqual(job, { state: 'queued', attempts: 1, later: true });
    const page = await referralPage(team.worker, referralId);
    assert.match(page, /Not yet sent/);
    assert.match(page, /the last try failed and it will be tried again automatically/);
    assert.deepEqual(await practiceSide.inbox(), []);

    // MESH is back; the retry falls due.
    registerGpRecordJobs(mesh, { chunkBytes: 4096 });
    await database.pool.query(`UPDATE job SET run_at = now() WHERE kind = 'gp-record.send' AND payload->>'messageId' = $1`, [row.id]);
    await worker.drain();
    assert.equal((await messageRow(referralId)).state, 'sent');
    assert.equal((await practiceReceives()).length, 1);
  } finally {
    registerGpRecordJobs(mesh, { chunkBytes: 4096 });
  }
});

test('a practice without a MESH mailbox: the page says it was not sent electronically, and it goes once the mailbox is added', async () => {
  const team = await aSocialPrescribingTeam(database);
  const practice = await aPractice(database, team.tenantId, { name: 'No Mailbox Surgery' });
  const { referralId } = await aDischargedReferral(team, practice.id);
  const row = await messageRow(referralId);
  assert.equal(row.state, 'not_sent');
  const page = await referralPage(team.worker, referralId);
  assert.match(page, /Not sent electronically/);
  assert.match(page, /No Mailbox Surgery \(Y\d+\) has no MESH mailbox in the practice list/);
  await worker.drain();
  assert.deepEqual(await practiceSide.inbox(), [], 'nothing was sent');

  const cookies = await signInAs(app, database, team.worker);
  const refused = await postForm(app, cookies, `/referrals/${referralId}/gp-record/send`, {}, `/referrals/${referralId}`);
  assert.equal(refused.statusCode, 409);
  assert.match(refused.body, /still has no MESH mailbox/);

  await database.pool.query('UPDATE practice SET mesh_mailbox_id = $2 WHERE id = $1', [practice.id, PRACTICE_MAILBOX]);
  const sent = await postForm(app, cookies, `/referrals/${referralId}/gp-record/send`, {}, `/referrals/${referralId}`);
  assert.equal(sent.statusCode, 303);
  await worker.drain();
  assert.equal((await messageRow(referralId)).state, 'sent');
  assert.equal((await practiceReceives()).length, 1);
});

test('a retry after a worker died once MESH had the message finds it by its local id and does not send it twice', async () => {
  const team = await aSocialPrescribingTeam(database);
  const practice = await aPractice(database, team.tenantId);
  await database.pool.query('UPDATE practice SET mesh_mailbox_id = $2 WHERE id = $1', [practice.id, PRACTICE_MAILBOX]);
  const { referralId } = await aDischargedReferral(team, practice.id);
  const row = await messageRow(referralId);
  // What the dead worker did: marked the row sending, and MESH took the message under its tracking id.
  await database.pool.query(`UPDATE gp_record_message SET state = 'sending', attempts = 1 WHERE id = $1`, [row.id]);
  const signpostSide = new MeshClient({ url: sandbox.url, mailboxId: SIGNPOST_MAILBOX, password: 'password', sharedKey: 'TestKey' });
  let meshMessageId: string;
  try {
    meshMessageId = await signpostSide.send({
      to: PRACTICE_MAILBOX,
      workflowId: SEND_DOCUMENT_WORKFLOW,
      body: Buffer.from('{"resourceType":"Bundle"}'),
      localId: row.tracking_id,
    });
  } finally {
    signpostSide.close();
  }
  await worker.drain();
  const after = await messageRow(referralId);
  assert.equal(after.state, 'sent');
  assert.equal(after.mesh_message_id, meshMessageId);
  assert.deepEqual(await practiceSide.inbox(), [meshMessageId], 'one message, not two');
  await practiceReceives();
});

test('MESH refuses a wrong shared key, and messages that are not acknowledgements stay in the inbox', async () => {
  const wrong = new MeshClient({ url: sandbox.url, mailboxId: PRACTICE_MAILBOX, password: 'password', sharedKey: 'NotTheKey' });
  try {
    await assert.rejects(wrong.inbox(), (error: Error & { status?: number }) => error.status === 403);
  } finally {
    wrong.close();
  }
  await practiceSide.send({ to: SIGNPOST_MAILBOX, workflowId: SEND_DOCUMENT_ACK_WORKFLOW, body: Buffer.from('not FHIR') });
  const signpostSide = new MeshClient({ url: sandbox.url, mailboxId: SIGNPOST_MAILBOX, password: 'password', sharedKey: 'TestKey' });
  try {
    const before = await signpostSide.inbox();
    assert.ok(before.length >= 1);
    await pollInbox();
    assert.deepEqual((await signpostSide.inbox()).sort(), before.sort(), 'left for a person to look at');
  } finally {
    signpostSide.close();
  }
});
