import type pg from 'pg';
import type { Db } from '../../db/database.ts';
import { withTenant } from '../../db/transaction.ts';
import { dischargePdf } from '../../discharge/pdf.ts';
import { recordAudit } from '../../identity/audit.ts';
import { questionnaireResponse } from '../../outcomes/fhir.ts';
import { administrationsOfReferrals } from '../../outcomes/service.ts';
import { checkConsent, checkReferralReason } from '../../referrals/schema.ts';
import { checkPerson } from '../../people/schema.ts';
import { compactNhsNumber } from '../../people/nhs-number.ts';
import { intakeReferral, withdrawReferralForSystem } from '../../referrals/service.ts';
import { personChoiceForSystem } from '../../people/service.ts';
import { InvalidInput, NotFound, type FieldError } from '../../web/errors.ts';
import type { ApiClientActor } from '../clients/service.ts';
import {
  documentReference,
  FhirInputError,
  FIELD_EXPRESSIONS,
  NHS_NUMBER_SYSTEM,
  patient,
  patientFields,
  REFERENCE_SYSTEM,
  senderIdentifiers,
  serviceRequest,
  serviceRequestFields,
  task,
  type Json,
} from './mapping.ts';
import * as q from './queries.ts';
import {
  sentDischargesPage,
  sentPeoplePage,
  sentReferralIds,
  touchSentReferral,
  sentReferralsPage,
  type Page,
  type ReferralFilter,
} from './sent-referrals.ts';
import type { RequestContext } from '../../identity/audit.ts';
import { isUuid } from '../../db/ids.ts';

export type { Page } from './sent-referrals.ts';

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 100;

export interface Found {
  resources: Json[];
  total: number;
}

/** Form-check errors as FHIR issues pointing at the element that carried the value. */
function fieldIssues(errors: FieldError[]) {
  return errors.map((e) => ({
    diagnostics: e.message,
    expression: FIELD_EXPRESSIONS[e.field] ? [FIELD_EXPRESSIONS[e.field]!] : undefined,
  }));
}

export function asFhirInputError(error: InvalidInput): FhirInputError {
  return new FhirInputError(fieldIssues(error.errors));
}

function isObject(value: unknown): value is Json {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Referrals in

export interface FhirReferralIn {
  patient: Json;
  serviceRequest: Json;
}

/** A ServiceRequest posted on its own carries its Patient as a contained resource. */
export function referralFromServiceRequest(body: unknown): FhirReferralIn {
  if (!isObject(body) || body.resourceType !== 'ServiceRequest')
    throw new FhirInputError([{ diagnostics: 'Send a ServiceRequest resource (resourceType "ServiceRequest").' }]);
  const subject = isObject(body.subject) ? String(body.subject.reference ?? '') : '';
  const contained = Array.isArray(body.contained) ? body.contained.filter(isObject) : [];
  const found = subject.startsWith('#') ? contained.find((r) => r.resourceType === 'Patient' && `#${String(r.id)}` === subject) : undefined;
  if (!found) {
    throw new FhirInputError([
      {
        diagnostics:
          'ServiceRequest.subject must reference a contained Patient (subject.reference "#<id>" with the Patient in ServiceRequest.contained), or post a transaction Bundle of the Patient and the ServiceRequest to /fhir.',
        expression: ['ServiceRequest.subject'],
      },
    ]);
  }
  return { patient: found, serviceRequest: body };
}

/** A transaction Bundle of exactly one Patient and one ServiceRequest whose subject is that Patient. */
export function referralFromBundle(body: unknown): FhirReferralIn {
  if (!isObject(body) || body.resourceType !== 'Bundle')
    throw new FhirInputError([{ diagnostics: 'Send a Bundle resource (resourceType "Bundle").' }]);
  if (body.type !== 'transaction')
    throw new FhirInputError([
      { diagnostics: `Bundle.type must be "transaction" (got "${String(body.type)}").`, expression: ['Bundle.type'] },
    ]);
  const entries = Array.isArray(body.entry) ? body.entry.filter(isObject) : [];
  const patients = entries.filter((e) => isObject(e.resource) && e.resource.resourceType === 'Patient');
  const requests = entries.filter((e) => isObject(e.resource) && e.resource.resourceType === 'ServiceRequest');
  const others = entries.length - patients.length - requests.length;
  if (patients.length !== 1 || requests.length !== 1 || others > 0) {
    throw new FhirInputError([
      { diagnostics: 'The Bundle must hold exactly one Patient and one ServiceRequest (and nothing else).', expression: ['Bundle.entry'] },
    ]);
  }
  for (const entry of [...patients, ...requests]) {
    const request = isObject(entry.request) ? entry.request : {};
    if (request.method !== 'POST')
      throw new FhirInputError([
        { diagnostics: 'Each Bundle.entry.request.method must be POST.', expression: ['Bundle.entry.request.method'] },
      ]);
  }
  const patientEntry = patients[0]!;
  const sr = requests[0]!.resource as Json;
  const subject = isObject(sr.subject) ? String(sr.subject.reference ?? '') : '';
  const fullUrl = String(patientEntry.fullUrl ?? '');
  if (!fullUrl || subject !== fullUrl) {
    throw new FhirInputError([
      {
        diagnostics: `ServiceRequest.subject.reference must be the Patient entry's fullUrl (${fullUrl || 'the Patient entry has no fullUrl'}).`,
        expression: ['ServiceRequest.subject'],
      },
    ]);
  }
  return { patient: patientEntry.resource as Json, serviceRequest: sr };
}

export interface CreatedReferral {
  patient: Json;
  serviceRequest: Json;
  task: Json;
}

/**
 * Creates a referral from a GP system through the same intake function as the staff form, with
 * the same checks (the FHIR elements are read into the form's fields). The person is matched by
 * NHS number as other machine intake is. One transaction: a failure creates nothing.
 */
export async function createReferral(
  pool: pg.Pool,
  client: ApiClientActor,
  input: FhirReferralIn,
  context: RequestContext = {},
): Promise<CreatedReferral> {
  const srFields = serviceRequestFields(input.serviceRequest);
  const personChecked = checkPerson(patientFields(input.patient));
  const reasonChecked = checkReferralReason({ ...srFields, referrerOrganisation: client.name });
  const consentChecked = checkConsent(srFields);
  const errors = [
    ...(personChecked.ok ? [] : personChecked.errors),
    ...(reasonChecked.ok ? [] : reasonChecked.errors),
    ...(consentChecked.ok ? [] : consentChecked.errors),
  ];
  if (!personChecked.ok || !reasonChecked.ok || !consentChecked.ok) throw new FhirInputError(fieldIssues(errors));
  const person = { ...personChecked.value, practiceId: client.practiceId };
  const referral = { ...reasonChecked.value, ...consentChecked.value };
  return withTenant(pool, client.tenantId, async (tx) => {
    const result = await intakeReferral(
      tx,
      client.tenantId,
      null,
      {
        person,
        referral,
        personChoice: await personChoiceForSystem(tx, client.tenantId, person),
        consentRecordedByDescription: `The referrer, through ${client.name}`,
      },
      context,
    );
    await q.insertFhirReferral(tx, client.tenantId, result.referralId, client.clientId, senderIdentifiers(input.serviceRequest));
    const [tracked] = (await tasksFor(tx, client, { ids: [result.referralId] }, { count: 1, offset: 0 })).tracked;
    const { people } = await sentPeoplePage(tx, client, { id: result.personId }, { count: 1, offset: 0 });
    return { patient: patient(people[0]!), serviceRequest: tracked!.serviceRequest, task: tracked!.task };
  });
}

// ---------------------------------------------------------------------------------------------
// Tasks and ServiceRequests out

async function tasksFor(tx: Db, client: ApiClientActor, filter: ReferralFilter, page: Page) {
  const { referrals, total } = await sentReferralsPage(tx, client, filter, page);
  const tracked = referrals.map((r) => ({
    referral: r.referral,
    serviceRequest: serviceRequest(r.referral),
    task: task(r.referral, r.onward, r.discharge),
  }));
  return { tracked, total };
}

async function auditPeople(
  tx: Db,
  client: ApiClientActor,
  action: string,
  entityType: string,
  rows: { id: string; personId: string }[],
  context: RequestContext,
) {
  for (const row of rows) {
    await recordAudit(tx, {
      actor: { userId: client.clientId, roles: [] },
      tenantId: client.tenantId,
      action,
      entityType,
      entityId: row.id,
      personId: row.personId,
      requestId: context.requestId,
    });
  }
}

export interface ReferralSearch {
  id?: string;
  basedOn?: string;
  lastUpdatedAfter?: Date;
  patient?: string;
  reference?: string;
}

/** Filters as the read model takes them; an id that cannot exist matches nothing. */
function referralFilter(s: ReferralSearch): ReferralFilter | undefined {
  const ids = [s.id, s.basedOn].filter((x): x is string => !!x);
  if (ids.some((id) => !isUuid(id)) || (s.patient && !isUuid(s.patient))) return undefined;
  return {
    ids: ids.length ? ids : null,
    updatedAfter: s.lastUpdatedAfter ?? null,
    personId: s.patient ?? null,
    reference: s.reference ?? null,
  };
}

export async function searchReferrals(
  pool: pg.Pool,
  client: ApiClientActor,
  as: 'Task' | 'ServiceRequest',
  search: ReferralSearch,
  page: Page,
  context: RequestContext = {},
): Promise<Found> {
  const filter = referralFilter(search);
  if (!filter) return { resources: [], total: 0 };
  return withTenant(pool, client.tenantId, async (tx) => {
    const { tracked, total } = await tasksFor(tx, client, filter, page);
    await auditPeople(
      tx,
      client,
      `fhir.${as}.read`,
      'referral',
      tracked.map((f) => f.referral),
      context,
    );
    return { resources: tracked.map((f) => (as === 'Task' ? f.task : f.serviceRequest)), total };
  });
}

export async function readReferral(
  pool: pg.Pool,
  client: ApiClientActor,
  as: 'Task' | 'ServiceRequest',
  id: string,
  context: RequestContext = {},
): Promise<Json> {
  const found = await searchReferrals(pool, client, as, { id }, { count: 1, offset: 0 }, context);
  if (!found.resources[0]) throw new NotFound(as);
  return found.resources[0];
}

/**
 * The referrer's system cancels its referral: Task.status "cancelled" with a reason, which
 * withdraws the referral through the life cycle (refused once it is closed). Nothing else about
 * the Task may be changed by the referrer.
 */
export async function cancelTask(
  pool: pg.Pool,
  client: ApiClientActor,
  id: string,
  change: { status: unknown; reason: unknown },
  context: RequestContext = {},
): Promise<Json> {
  if (!isUuid(id)) throw new NotFound('Task');
  if (change.status !== 'cancelled') {
    throw new FhirInputError([
      {
        diagnostics:
          'A referrer may only cancel its referral: set Task.status to "cancelled" with the reason in Task.statusReason.text. Signpost moves the Task through its other statuses.',
        expression: ['Task.status'],
      },
    ]);
  }
  const reason = typeof change.reason === 'string' ? change.reason.trim() : '';
  if (!reason)
    throw new FhirInputError([
      { diagnostics: 'Say why the referral is cancelled in Task.statusReason.text.', expression: ['Task.statusReason'] },
    ]);
  if (reason.length > 1000)
    throw new FhirInputError([
      { diagnostics: 'Task.statusReason.text must be 1000 characters or fewer.', expression: ['Task.statusReason'] },
    ]);
  return withTenant(pool, client.tenantId, async (tx) => {
    const [owned] = await sentReferralIds(tx, client, { ids: [id] });
    if (!owned) throw new NotFound('Task');
    await withdrawReferralForSystem(tx, client.tenantId, id, reason, { clientId: client.clientId, name: client.name }, context);
    await touchSentReferral(tx, client.tenantId, id);
    const [found] = (await tasksFor(tx, client, { ids: [id] }, { count: 1, offset: 0 })).tracked;
    return found!.task;
  });
}

/** What a PUT Task body or a JSON Patch asks for: only status and statusReason are read. */
export function taskChangeFromPut(id: string, body: unknown): { status: unknown; reason: unknown } {
  if (!isObject(body) || body.resourceType !== 'Task')
    throw new FhirInputError([{ diagnostics: 'Send the Task resource (resourceType "Task").' }]);
  if (body.id !== id) throw new FhirInputError([{ diagnostics: `Task.id must match the id in the URL (${id}).`, expression: ['Task.id'] }]);
  return { status: body.status, reason: isObject(body.statusReason) ? body.statusReason.text : undefined };
}

export function taskChangeFromPatch(body: unknown): { status: unknown; reason: unknown } {
  if (!Array.isArray(body))
    throw new FhirInputError([
      { diagnostics: 'Send a JSON Patch (an array of operations) with content type application/json-patch+json.' },
    ]);
  let status: unknown;
  let reason: unknown;
  for (const op of body as unknown[]) {
    if (!isObject(op) || !['replace', 'add'].includes(String(op.op)))
      throw new FhirInputError([{ diagnostics: 'Only "replace" or "add" operations on /status and /statusReason are accepted.' }]);
    if (op.path === '/status') status = op.value;
    else if (op.path === '/statusReason') reason = isObject(op.value) ? op.value.text : undefined;
    else if (op.path === '/statusReason/text') reason = op.value;
    else throw new FhirInputError([{ diagnostics: `A referrer may change only /status and /statusReason (not ${String(op.path)}).` }]);
  }
  return { status, reason };
}

// ---------------------------------------------------------------------------------------------
// Patients and discharge documents

/** `https://fhir.nhs.uk/Id/nhs-number|<n>` (or a bare number) to the 10 digits, or undefined. */
export function nhsNumberFromToken(token: string): string | undefined {
  const [system, value] = token.includes('|') ? (token.split('|', 2) as [string, string]) : [NHS_NUMBER_SYSTEM, token];
  if (system !== NHS_NUMBER_SYSTEM && system !== '') return undefined;
  return compactNhsNumber(value);
}

/** `<REFERENCE_SYSTEM>|SP-...` to the reference, or undefined. */
export function referenceFromToken(token: string): string | undefined {
  const [system, value] = token.includes('|') ? (token.split('|', 2) as [string, string]) : [REFERENCE_SYSTEM, token];
  return system === REFERENCE_SYSTEM && /^SP-[0-9A-Z]{8}$/.test(value) ? value : undefined;
}

export async function searchPatients(
  pool: pg.Pool,
  client: ApiClientActor,
  search: { id?: string; nhsNumber?: string | null },
  page: Page,
  context: RequestContext = {},
): Promise<Found> {
  if ((search.id && !isUuid(search.id)) || search.nhsNumber === null) return { resources: [], total: 0 };
  return withTenant(pool, client.tenantId, async (tx) => {
    const { people: rows, total } = await sentPeoplePage(tx, client, { id: search.id, nhsNumber: search.nhsNumber }, page);
    await auditPeople(
      tx,
      client,
      'fhir.Patient.read',
      'person',
      rows.map((r) => ({ id: r.id, personId: r.id })),
      context,
    );
    return { resources: rows.map(patient), total };
  });
}

export async function readPatient(pool: pg.Pool, client: ApiClientActor, id: string, context: RequestContext = {}): Promise<Json> {
  const found = await searchPatients(pool, client, { id }, { count: 1, offset: 0 }, context);
  if (!found.resources[0]) throw new NotFound('Patient');
  return found.resources[0];
}

export async function searchDocuments(
  pool: pg.Pool,
  client: ApiClientActor,
  search: { id?: string; patient?: string; related?: string },
  page: Page,
  context: RequestContext = {},
): Promise<Found> {
  if ([search.id, search.patient, search.related].some((v) => v !== undefined && !isUuid(v))) return { resources: [], total: 0 };
  const { discharges, total } = await withTenant(pool, client.tenantId, async (tx) => {
    const found = await sentDischargesPage(tx, client, search, page);
    await auditPeople(tx, client, 'fhir.DocumentReference.read', 'discharge', found.discharges, context);
    return found;
  });
  const resources = [];
  for (const d of discharges) resources.push(documentReference(d, await dischargePdf(d.document)));
  return { resources, total };
}

export async function readDocument(pool: pg.Pool, client: ApiClientActor, id: string, context: RequestContext = {}): Promise<Json> {
  const found = await searchDocuments(pool, client, { id }, { count: 1, offset: 0 }, context);
  if (!found.resources[0]) throw new NotFound('DocumentReference');
  return found.resources[0];
}

// ---------------------------------------------------------------------------------------------
// Outcome measures

export interface OutcomeResponseSearch {
  id?: string;
  patient?: string;
  basedOn?: string;
}

/**
 * Outcome measures recorded on referrals this system sent, as QuestionnaireResponse based on the
 * referral's ServiceRequest. Each one read is audited against its person.
 */
export async function searchOutcomeResponses(
  pool: pg.Pool,
  client: ApiClientActor,
  search: OutcomeResponseSearch,
  page: Page,
  context: RequestContext = {},
): Promise<Found> {
  if ([search.id, search.patient, search.basedOn].some((v) => v !== undefined && !isUuid(v))) return { resources: [], total: 0 };
  return withTenant(pool, client.tenantId, async (tx) => {
    const referralIds = await sentReferralIds(tx, client, { ids: search.basedOn ? [search.basedOn] : null, personId: search.patient });
    const { administrations, total } = await administrationsOfReferrals(
      tx,
      client.tenantId,
      { referralIds, id: search.id ?? null, personId: search.patient ?? null },
      page.count,
      page.offset,
    );
    await auditPeople(tx, client, 'fhir.QuestionnaireResponse.read', 'outcome_administration', administrations, context);
    return {
      resources: administrations.map((a) => ({ ...questionnaireResponse(a), basedOn: [{ reference: `ServiceRequest/${a.referralId}` }] })),
      total,
    };
  });
}

export async function readOutcomeResponse(pool: pg.Pool, client: ApiClientActor, id: string, context: RequestContext = {}): Promise<Json> {
  const found = await searchOutcomeResponses(pool, client, { id }, { count: 1, offset: 0 }, context);
  if (!found.resources[0]) throw new NotFound('QuestionnaireResponse');
  return found.resources[0];
}
