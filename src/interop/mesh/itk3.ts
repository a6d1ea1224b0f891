import { randomUUID } from 'node:crypto';
import { documentSections, type DischargeDocument } from '../../discharge/service.ts';
import { NHS_NUMBER_SYSTEM } from '../fhir/mapping.ts';

/**
 * The ITK3 message GP Connect Send Document files in a GP record: a FHIR STU3 message Bundle
 * (ITK-Message-Bundle-1) whose MessageHeader asks for infrastructure and business
 * acknowledgements and whose Composition's first section carries the summary as a PDF (base64),
 * followed by the summary's sections as text and its SNOMED CT codes as the Composition's event.
 */

/** MESH workflow ids of GP Connect Send Document: the document, and the acknowledgements back. */
export const SEND_DOCUMENT_WORKFLOW = 'GPFED_CONSULT_REPORT';
export const SEND_DOCUMENT_ACK_WORKFLOW = 'GPFED_CONSULT_REPORT_ACK';

export const ITK = {
  bundleProfile: 'https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Message-Bundle-1',
  headerProfile: 'https://fhir.nhs.uk/STU3/StructureDefinition/ITK-MessageHeader-2',
  handling: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-ITK-MessageHandling-2',
  messageDefinition: 'https://fhir.nhs.uk/STU3/MessageDefinition/ITK-GPConnectSendDocument-MessageDefinition-Instance-1',
  eventSystem: 'https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2',
  recipientTypeSystem: 'https://fhir.nhs.uk/STU3/CodeSystem/ITK-RecipientType-1',
  responseCodeSystem: 'https://fhir.nhs.uk/STU3/CodeSystem/ITK-ResponseCodes-1',
  uuidSystem: 'https://tools.ietf.org/html/rfc4122',
  odsSystem: 'https://fhir.nhs.uk/Id/ods-organization-code',
  patientProfile: 'https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1',
  organizationProfile: 'https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Organization-1',
  headerOrganizationProfile: 'https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-ITK-Header-Organization-1',
  practitionerProfile: 'https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Practitioner-1',
  compositionProfile: 'https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Composition-1',
  documentReferenceProfile: 'https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-DocumentReference-1',
} as const;

export const SNOMED_SYSTEM = 'http://snomed.info/sct';

export interface Itk3Input {
  /** The MessageHeader.id: acknowledgements quote it in MessageHeader.response.identifier. */
  trackingId: string;
  /** The discharge the document records: the ITK SenderReference. */
  dischargeId: string;
  document: DischargeDocument;
  pdf: Buffer;
  patient: { nhsNumber: string; givenName: string; familyName: string; dateOfBirth: string; sex: string | null };
  sender: { odsCode: string; name: string; phone?: string; mailboxId: string };
  recipient: { odsCode: string; name: string; mailboxId: string };
  /** The link worker who discharged (CareConnect-Practitioner; no SDS user id is held). */
  author: string;
  at: Date;
}

const GENDER: Record<string, string> = { female: 'female', male: 'male', intersex: 'other' };

const escapeXhtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function narrative(lines: string[]) {
  return {
    status: 'generated',
    div: `<div xmlns="http://www.w3.org/1999/xhtml">${lines.map((l) => `<p>${escapeXhtml(l)}</p>`).join('')}</div>`,
  };
}

export type FhirResource = Record<string, unknown> & { resourceType: string; id: string };

export function buildItk3Message(input: Itk3Input): FhirResource {
  const id = {
    bundle: randomUUID(),
    patient: randomUUID(),
    sender: randomUUID(),
    recipient: randomUUID(),
    practitioner: randomUUID(),
    composition: randomUUID(),
    documentReference: randomUUID(),
  };
  const ref = (uuid: string) => ({ reference: `urn:uuid:${uuid}` });
  const when = input.at.toISOString();
  const d = input.document;
  const title = 'Social prescribing discharge summary';
  const authorParts = input.author.trim().split(/\s+/);

  const header: FhirResource = {
    resourceType: 'MessageHeader',
    id: input.trackingId,
    meta: { profile: [ITK.headerProfile] },
    extension: [
      {
        url: ITK.handling,
        extension: [
          { url: 'BusAckRequested', valueBoolean: true },
          { url: 'InfAckRequested', valueBoolean: true },
          { url: 'RecipientType', valueCoding: { system: ITK.recipientTypeSystem, code: 'FA', display: 'For Action' } },
          { url: 'MessageDefinition', valueReference: { reference: ITK.messageDefinition } },
          { url: 'SenderReference', valueString: `urn:uuid:${input.dischargeId}` },
          { url: 'LocalExtension', valueString: 'None' },
        ],
      },
    ],
    event: { system: ITK.eventSystem, code: 'ITK007C', display: 'ITK GP Connect Send Document' },
    destination: [{ endpoint: input.recipient.mailboxId, receiver: ref(id.recipient) }],
    sender: ref(id.sender),
    timestamp: when,
    source: { endpoint: input.sender.mailboxId },
    focus: [ref(id.composition)],
  };
  const patient: FhirResource = {
    resourceType: 'Patient',
    id: id.patient,
    meta: { profile: [ITK.patientProfile] },
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: input.patient.nhsNumber }],
    name: [{ use: 'official', family: input.patient.familyName, given: [input.patient.givenName] }],
    gender: GENDER[input.patient.sex ?? ''] ?? 'unknown',
    birthDate: input.patient.dateOfBirth,
    generalPractitioner: [ref(id.recipient)],
  };
  const organization = (uuid: string, org: { odsCode: string; name: string; phone?: string }, profile: string): FhirResource => ({
    resourceType: 'Organization',
    id: uuid,
    meta: { profile: [profile] },
    identifier: [{ system: ITK.odsSystem, value: org.odsCode }],
    name: org.name,
    ...(org.phone ? { telecom: [{ system: 'phone', value: org.phone }] } : {}),
  });
  const practitioner: FhirResource = {
    resourceType: 'Practitioner',
    id: id.practitioner,
    meta: { profile: [ITK.practitionerProfile] },
    name: [{ use: 'official', text: input.author, family: authorParts.at(-1), given: authorParts.slice(0, -1) }],
  };
  const documentReference: FhirResource = {
    resourceType: 'DocumentReference',
    id: id.documentReference,
    meta: { profile: [ITK.documentReferenceProfile] },
    identifier: [{ system: ITK.uuidSystem, value: input.dischargeId }],
    status: 'current',
    type: { text: title },
    subject: ref(id.patient),
    created: when,
    indexed: when,
    author: [ref(id.practitioner), ref(id.sender)],
    custodian: ref(id.sender),
    content: [
      {
        attachment: {
          contentType: 'application/pdf',
          language: 'en-GB',
          data: input.pdf.toString('base64'),
          title: `${title}.pdf`,
          creation: when,
        },
      },
    ],
  };
  const composition: FhirResource = {
    resourceType: 'Composition',
    id: id.composition,
    meta: { profile: [ITK.compositionProfile] },
    identifier: { system: ITK.uuidSystem, value: input.dischargeId },
    status: 'final',
    // No SNOMED CT document type is verified for a social prescribing discharge: text only.
    type: { text: title },
    subject: ref(id.patient),
    date: when,
    author: [ref(id.practitioner)],
    title,
    custodian: ref(id.sender),
    ...(d.snomed.length
      ? { event: [{ code: d.snomed.map((c) => ({ coding: [{ system: SNOMED_SYSTEM, code: c.code, display: c.display }] })) }] }
      : {}),
    section: [
      {
        title: 'Discharge summary (PDF)',
        text: narrative([`${title} for ${d.demographics.name}, attached as a PDF.`]),
        entry: [ref(id.documentReference)],
      },
      ...documentSections(d).map((s) => ({ title: s.heading, text: narrative(s.lines.length ? s.lines : ['None recorded.']) })),
    ],
  };
  const entries = [
    header,
    patient,
    organization(id.sender, input.sender, ITK.headerOrganizationProfile),
    organization(id.recipient, input.recipient, ITK.organizationProfile),
    practitioner,
    composition,
    documentReference,
  ];
  return {
    resourceType: 'Bundle',
    id: id.bundle,
    meta: { profile: [ITK.bundleProfile], lastUpdated: when },
    identifier: { system: ITK.uuidSystem, value: id.bundle },
    type: 'message',
    entry: entries.map((resource) => ({ fullUrl: `urn:uuid:${resource.id}`, resource })),
  };
}

/** What an ITK3 response says about the message it answers. */
export interface Itk3Response {
  /** The MessageHeader.id of our message. */
  answers: string;
  /** Infrastructure (10001-20013) or business (30000 and up) acknowledgement. */
  kind: 'infrastructure' | 'business';
  responseCode: string;
  positive: boolean;
  itkCode: string | undefined;
  reason: string | undefined;
}

/** Reads an ITK3 response Bundle; undefined when it is not one (a stray message, a delivery report). */
export function readItk3Response(body: Buffer): Itk3Response | undefined {
  let bundle: { resourceType?: string; entry?: { resource?: Record<string, unknown> }[] };
  try {
    bundle = JSON.parse(body.toString('utf8')) as typeof bundle;
  } catch {
    return undefined;
  }
  if (bundle?.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) return undefined;
  const resources = bundle.entry.map((e) => e.resource ?? {});
  const header = resources.find((r) => r.resourceType === 'MessageHeader') as
    { response?: { identifier?: string; code?: string } } | undefined;
  const answers = header?.response?.identifier;
  const code = header?.response?.code;
  if (!answers || !code) return undefined;
  const outcome = resources.find((r) => r.resourceType === 'OperationOutcome') as
    | {
        issue?: {
          severity?: string;
          diagnostics?: string;
          details?: { text?: string; coding?: { system?: string; code?: string; display?: string }[] };
        }[];
      }
    | undefined;
  const issue = outcome?.issue?.[0];
  const coding = issue?.details?.coding?.find((c) => c.system === ITK.responseCodeSystem) ?? issue?.details?.coding?.[0];
  const itkCode = coding?.code;
  const numeric = Number(itkCode);
  const positive = code === 'ok';
  const reason = positive
    ? undefined
    : [coding?.display ?? issue?.details?.text, issue?.diagnostics].filter(Boolean).join(': ') ||
      `The practice's system answered "${code}"`;
  return {
    answers: answers.replace(/^urn:uuid:/, ''),
    kind: Number.isFinite(numeric) && numeric >= 30000 && numeric < 40000 ? 'business' : 'infrastructure',
    responseCode: code,
    positive,
    itkCode,
    reason: reason?.slice(0, 1000),
  };
}
