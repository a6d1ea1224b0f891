import { findNeed, NEEDS } from '../../vocabulary/needs.ts';
import { STATUS_LABELS, type ReferralStatus } from '../../referrals/lifecycle.ts';
import { SNOMED, type SnomedConcept } from '../snomed.ts';
import type { DischargeRow } from '../../discharge/service.ts';
import type { PersonRow } from '../../people/service.ts';
import type { ReferralWithReason } from '../../referrals/service.ts';
import type { OnwardRow } from '../../social-prescriptions/service.ts';

// FHIR R4 shapes for Signpost's referrals, following the closed-loop referral pattern of HL7
// Gravity SDOH Clinical Care (STU 3.0.0): the referrer's ServiceRequest, and a Task
// (TaskForReferralManagement) that tracks it. Pure functions: rows in, JSON out, and back.

export type Json = Record<string, unknown>;

/**
 * The base of Signpost's own code systems and extensions. `.example` is reserved (RFC 2606), so
 * nothing here claims a domain the project does not own; every value is listed in docs/api.md.
 */
export const SIGNPOST_FHIR = 'https://fhir.signpost.example';
export const NEED_SYSTEM = `${SIGNPOST_FHIR}/CodeSystem/social-prescribing-need`;
export const REFERRAL_STATUS_SYSTEM = `${SIGNPOST_FHIR}/CodeSystem/referral-status`;
export const REFERENCE_SYSTEM = `${SIGNPOST_FHIR}/Id/referral-reference`;
export const CONSENT_TO_REFER = `${SIGNPOST_FHIR}/StructureDefinition/consent-to-refer`;
export const CONSENT_TO_SHARE = `${SIGNPOST_FHIR}/StructureDefinition/consent-to-share`;
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const SNOMED_SYSTEM = 'http://snomed.info/sct';
export const TASK_CODE_SYSTEM = 'http://hl7.org/fhir/CodeSystem/task-code';
export const TASK_PROFILE = 'http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement';
export const UK_CORE_PATIENT = 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient';
/** Gravity's code for what came of a referral (its temporary code system, as in its examples). */
export const RESULTING_ACTIVITY = {
  system: 'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes',
  code: 'resulting-activity',
  display: 'Resulting Activity',
};

const coding = (c: SnomedConcept) => ({ system: SNOMED_SYSTEM, code: c.code, display: c.display });

/** Task.status from the referral life cycle (the Gravity guide's Task statuses). */
export const TASK_STATUS: Record<ReferralStatus, string> = {
  received: 'requested',
  triaged: 'accepted',
  allocated: 'accepted',
  in_contact: 'in-progress',
  assessed: 'in-progress',
  active_plan: 'in-progress',
  discharged: 'completed',
  declined: 'rejected',
  not_suitable: 'rejected',
  unable_to_contact: 'failed',
  withdrawn: 'cancelled',
};

/** ServiceRequest.status: active while the referral is being worked, then completed or revoked. */
export function serviceRequestStatus(status: ReferralStatus): string {
  if (status === 'discharged') return 'completed';
  if (['declined', 'not_suitable', 'withdrawn', 'unable_to_contact'].includes(status)) return 'revoked';
  return 'active';
}

const PRIORITY: Record<string, string> = { routine: 'routine', soon: 'urgent', urgent: 'asap' };
const URGENCY_FROM_PRIORITY: Record<string, string> = { routine: 'routine', urgent: 'soon', asap: 'urgent', stat: 'urgent' };

/** A referral as its ServiceRequest and Task show it: the referrals area's row, with what FHIR adds. */
export type ReferralForFhir = Pick<
  ReferralWithReason,
  | 'id'
  | 'reference'
  | 'personId'
  | 'givenName'
  | 'familyName'
  | 'status'
  | 'reasons'
  | 'context'
  | 'urgency'
  | 'consentToRefer'
  | 'consentToShare'
  | 'referrerName'
  | 'referrerOrganisation'
  | 'receivedAt'
  | 'statusReason'
> & {
  /** The latest change to the referral, its social prescriptions or its discharge. */
  lastUpdated: Date;
  /** ServiceRequest.identifier as the sending system gave it. */
  identifiers: { system?: string; value: string }[];
  tenantName: string;
};

export type OnwardForFhir = Pick<OnwardRow, 'id' | 'kind' | 'serviceId' | 'serviceName' | 'organisationName' | 'status' | 'need'>;

export type DischargeForFhir = Pick<DischargeRow, 'id' | 'referralId' | 'dischargedAt' | 'reason'> & {
  personId: string;
  snomed: SnomedConcept[];
  title: string;
};

function meta(lastUpdated: Date, profile?: string): Json {
  return { lastUpdated: lastUpdated.toISOString(), ...(profile ? { profile: [profile] } : {}) };
}

function requesterOf(r: ReferralForFhir): Json | undefined {
  const display = [r.referrerName, r.referrerOrganisation].filter(Boolean).join(', ');
  return display ? { display } : undefined;
}

export function serviceRequest(r: ReferralForFhir): Json {
  const requester = requesterOf(r);
  return {
    resourceType: 'ServiceRequest',
    id: r.id,
    meta: meta(r.lastUpdated),
    extension: [
      { url: CONSENT_TO_REFER, valueBoolean: r.consentToRefer },
      { url: CONSENT_TO_SHARE, valueBoolean: r.consentToShare },
    ],
    identifier: [
      ...r.identifiers.map((i) => ({ ...(i.system ? { system: i.system } : {}), value: i.value })),
      { system: REFERENCE_SYSTEM, value: r.reference },
    ],
    status: serviceRequestStatus(r.status),
    intent: 'order',
    category: [{ coding: [coding(SNOMED.socialServiceProcedure)] }],
    priority: PRIORITY[r.urgency] ?? 'routine',
    code: { coding: [coding(SNOMED.referralToSocialPrescribing)], text: 'Referral to social prescribing link worker' },
    subject: { reference: `Patient/${r.personId}`, display: `${r.givenName} ${r.familyName}` },
    authoredOn: r.receivedAt.toISOString(),
    ...(requester ? { requester } : {}),
    reasonCode: r.reasons.map((code) => {
      const need = findNeed(code);
      return { coding: [{ system: NEED_SYSTEM, code, display: need?.label ?? code }], text: need?.label ?? code };
    }),
    ...(r.context ? { note: [{ text: r.context }] } : {}),
  };
}

/** The Task that tracks a referral: same id as its ServiceRequest. */
export function task(r: ReferralForFhir, onward: OnwardForFhir[], discharge: DischargeForFhir | undefined): Json {
  const status = TASK_STATUS[r.status];
  const label = STATUS_LABELS[r.status];
  const requester = requesterOf(r);
  const output: Json[] = onward.map((o) => ({
    type: { coding: [RESULTING_ACTIVITY], text: o.kind === 'refer' ? 'Onward referral' : 'Signposting' },
    valueReference: {
      reference: `HealthcareService/${o.serviceId}`,
      display: `${o.kind === 'refer' ? 'Referred to' : 'Signposted to'} ${o.serviceName}${o.organisationName ? ` (${o.organisationName})` : ''}${o.kind === 'refer' ? `: ${o.status.replace(/_/g, ' ')}` : ''}`,
    },
  }));
  if (discharge) {
    output.push({
      type: { coding: [RESULTING_ACTIVITY], text: 'Discharge summary' },
      valueReference: { reference: `DocumentReference/${discharge.id}`, display: discharge.title },
    });
  }
  return {
    resourceType: 'Task',
    id: r.id,
    meta: meta(r.lastUpdated, TASK_PROFILE),
    identifier: [{ system: REFERENCE_SYSTEM, value: r.reference }],
    basedOn: [{ reference: `ServiceRequest/${r.id}` }],
    status,
    ...(['rejected', 'cancelled', 'failed'].includes(status) && r.statusReason ? { statusReason: { text: r.statusReason } } : {}),
    businessStatus: { coding: [{ system: REFERRAL_STATUS_SYSTEM, code: r.status, display: label }], text: label },
    intent: 'order',
    priority: PRIORITY[r.urgency] ?? 'routine',
    code: { coding: [{ system: TASK_CODE_SYSTEM, code: 'fulfill', display: 'Fulfill the focal request' }] },
    focus: { reference: `ServiceRequest/${r.id}` },
    for: { reference: `Patient/${r.personId}`, display: `${r.givenName} ${r.familyName}` },
    authoredOn: r.receivedAt.toISOString(),
    lastModified: r.lastUpdated.toISOString(),
    ...(requester ? { requester } : {}),
    owner: { display: r.tenantName },
    ...(output.length ? { output } : {}),
  };
}

export type PersonForFhir = Pick<
  PersonRow,
  | 'id'
  | 'nhsNumber'
  | 'givenName'
  | 'familyName'
  | 'preferredName'
  | 'dateOfBirth'
  | 'sex'
  | 'postcode'
  | 'address'
  | 'phone'
  | 'email'
  | 'updatedAt'
>;

const GENDER: Record<string, string> = { female: 'female', male: 'male', intersex: 'other', not_stated: 'unknown' };

export function patient(p: PersonForFhir): Json {
  const telecom = [...(p.phone ? [{ system: 'phone', value: p.phone }] : []), ...(p.email ? [{ system: 'email', value: p.email }] : [])];
  const address =
    p.postcode || p.address
      ? [{ ...(p.address ? { line: p.address.split(/\n|, /).filter(Boolean) } : {}), ...(p.postcode ? { postalCode: p.postcode } : {}) }]
      : [];
  return {
    resourceType: 'Patient',
    id: p.id,
    meta: meta(p.updatedAt, UK_CORE_PATIENT),
    ...(p.nhsNumber ? { identifier: [{ system: NHS_NUMBER_SYSTEM, value: p.nhsNumber }] } : {}),
    name: [
      { use: 'official', family: p.familyName, given: [p.givenName] },
      ...(p.preferredName ? [{ use: 'usual', given: [p.preferredName] }] : []),
    ],
    ...(p.sex && GENDER[p.sex] ? { gender: GENDER[p.sex] } : {}),
    birthDate: String(p.dateOfBirth).slice(0, 10),
    ...(telecom.length ? { telecom } : {}),
    ...(address.length ? { address } : {}),
  };
}

/** The discharge summary as a document for the GP record: the PDF, and its SNOMED CT codes. */
export function documentReference(d: DischargeForFhir, pdf: Buffer): Json {
  return {
    resourceType: 'DocumentReference',
    id: d.id,
    meta: meta(d.dischargedAt),
    status: 'current',
    docStatus: 'final',
    type: { text: 'Social prescribing discharge summary' },
    subject: { reference: `Patient/${d.personId}` },
    date: d.dischargedAt.toISOString(),
    description: `${d.title}. Reason: ${d.reason}.`,
    content: [
      {
        attachment: {
          contentType: 'application/pdf',
          data: pdf.toString('base64'),
          title: `${d.title}.pdf`,
          creation: d.dischargedAt.toISOString(),
        },
      },
    ],
    context: {
      event: d.snomed.map((c) => ({ coding: [coding(c)], text: c.display })),
      related: [{ reference: `ServiceRequest/${d.referralId}` }],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Bundles and problems

export function operationOutcome(
  issues: { code: string; diagnostics: string; expression?: string[] }[],
  severity: 'error' | 'information' = 'error',
): Json {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity,
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression ? { expression: i.expression } : {}),
    })),
  };
}

export function searchset(base: string, resources: Json[], page: { total: number; self: string; next?: string }): Json {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: page.total,
    link: [{ relation: 'self', url: page.self }, ...(page.next ? [{ relation: 'next', url: page.next }] : [])],
    entry: resources.map((resource) => ({
      fullUrl: `${base}/${String(resource.resourceType)}/${String(resource.id)}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Referrals in: FHIR to the fields of the staff form, so the same checks and messages apply

/** The form field a FHIR element fills, to point an OperationOutcome at the element. */
export const FIELD_EXPRESSIONS: Record<string, string> = {
  nhsNumber: 'Patient.identifier',
  givenName: 'Patient.name.given',
  familyName: 'Patient.name.family',
  dateOfBirth: 'Patient.birthDate',
  sex: 'Patient.gender',
  postcode: 'Patient.address.postalCode',
  address: 'Patient.address.line',
  phone: 'Patient.telecom',
  email: 'Patient.telecom',
  contactChannels: 'Patient.telecom',
  personChoice: 'Patient.identifier',
  reasons: 'ServiceRequest.reasonCode',
  context: 'ServiceRequest.note',
  urgency: 'ServiceRequest.priority',
  referrerName: 'ServiceRequest.requester',
  referrerOrganisation: 'ServiceRequest.requester',
  consentToRefer: `ServiceRequest.extension('${CONSENT_TO_REFER}')`,
  consentToShare: `ServiceRequest.extension('${CONSENT_TO_SHARE}')`,
  risk: 'ServiceRequest.note',
};

export class FhirInputError extends Error {
  constructor(readonly issues: { diagnostics: string; expression?: string[] }[]) {
    super(issues.map((i) => i.diagnostics).join(' '));
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.filter((x): x is Json => !!x && typeof x === 'object') : []);

/** The Patient as the staff form's person fields. */
export function patientFields(p: Json): Record<string, unknown> {
  const identifiers = arr(p.identifier);
  const nhs = identifiers.find((i) => i.system === NHS_NUMBER_SYSTEM);
  const names = arr(p.name);
  const name = names.find((n) => n.use === 'official') ?? names[0] ?? {};
  const given = Array.isArray(name.given) ? name.given.filter((g): g is string => typeof g === 'string').join(' ') : '';
  const usual = names.find((n) => n.use === 'usual' && n !== name);
  const telecom = arr(p.telecom);
  const phone = telecom.find((t) => t.system === 'phone' || t.system === 'sms');
  const email = telecom.find((t) => t.system === 'email');
  const address = arr(p.address)[0] ?? {};
  const lines = Array.isArray(address.line) ? address.line.filter((l): l is string => typeof l === 'string') : [];
  const gender = str(p.gender);
  return {
    nhsNumber: str(nhs?.value),
    givenName: given,
    familyName: str(name.family),
    preferredName: Array.isArray(usual?.given) ? usual.given.filter((g): g is string => typeof g === 'string').join(' ') : '',
    dateOfBirth: str(p.birthDate),
    sex: gender === 'female' || gender === 'male' ? gender : gender === 'unknown' ? 'not_stated' : '',
    postcode: str(address.postalCode),
    address: [...lines, str(address.city)].filter(Boolean).join(', '),
    phone: str(phone?.value),
    email: str(email?.value),
    contactChannels: [...(phone ? ['phone'] : []), ...(email ? ['email'] : [])],
  };
}

function extensionBoolean(r: Json, url: string): boolean | undefined {
  const ext = arr(r.extension).find((e) => e.url === url);
  return typeof ext?.valueBoolean === 'boolean' ? ext.valueBoolean : undefined;
}

/**
 * The ServiceRequest as the staff form's reason and consent fields. Reasons are Signpost need
 * codes (NEED_SYSTEM); consent to refer and to share travel as boolean extensions, as the GP
 * records them before referring. Status and intent must be what a new referral is.
 */
export function serviceRequestFields(sr: Json): Record<string, unknown> {
  const issues: { diagnostics: string; expression?: string[] }[] = [];
  if (sr.status !== 'active')
    issues.push({
      diagnostics: `ServiceRequest.status must be "active" for a new referral (got "${str(sr.status)}").`,
      expression: ['ServiceRequest.status'],
    });
  if (sr.intent !== 'order')
    issues.push({ diagnostics: `ServiceRequest.intent must be "order" (got "${str(sr.intent)}").`, expression: ['ServiceRequest.intent'] });
  const reasons: string[] = [];
  for (const reason of arr(sr.reasonCode)) {
    const codes = arr(reason.coding)
      .filter((c) => c.system === NEED_SYSTEM)
      .map((c) => str(c.code));
    if (codes.length === 0) {
      issues.push({
        diagnostics: `Each ServiceRequest.reasonCode needs a coding from ${NEED_SYSTEM}: one of ${NEEDS.map((n) => n.code).join(', ')}.`,
        expression: ['ServiceRequest.reasonCode'],
      });
    }
    reasons.push(...codes);
  }
  const priority = str(sr.priority) || 'routine';
  if (!URGENCY_FROM_PRIORITY[priority])
    issues.push({ diagnostics: 'ServiceRequest.priority must be routine, urgent, asap or stat.', expression: ['ServiceRequest.priority'] });
  if (issues.length) throw new FhirInputError(issues);
  const requester = (sr.requester && typeof sr.requester === 'object' ? sr.requester : {}) as Json;
  const notes = arr(sr.note)
    .map((n) => str(n.text))
    .filter(Boolean);
  const refer = extensionBoolean(sr, CONSENT_TO_REFER);
  const share = extensionBoolean(sr, CONSENT_TO_SHARE);
  return {
    source: 'gp',
    channel: 'fhir',
    referrerName: str(requester.display),
    reasons,
    context: notes.join('\n'),
    urgency: URGENCY_FROM_PRIORITY[priority],
    consentToRefer: refer === true ? 'yes' : '',
    consentToShare: share === true ? 'yes' : share === false ? 'no' : '',
  };
}

/** The sender's identifiers for the ServiceRequest, kept so it can find its own referral. */
export function senderIdentifiers(sr: Json): { system?: string; value: string }[] {
  return arr(sr.identifier)
    .filter((i) => typeof i.value === 'string' && i.value.length <= 200 && i.system !== REFERENCE_SYSTEM)
    .slice(0, 5)
    .map((i) => ({ ...(typeof i.system === 'string' ? { system: i.system } : {}), value: i.value as string }));
}
