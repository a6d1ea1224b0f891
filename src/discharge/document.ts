import type { SnomedConcept } from '../interop/snomed.ts';
import { formatDate } from '../calendar/format.ts';
import { formatNhsNumber } from '../people/nhs-number.ts';
import { SEXES } from '../people/schema.ts';

/**
 * The discharge summary, kept as written at discharge. Its sections are named after the PRSB
 * Social Prescribing Information Standard's message back to the GP and referrer: person
 * demographics, GP practice, referrer and referral details, what matters to me, needs and
 * concerns, the personalised care and support plan, activities referred to (with attendance),
 * outcome measures, the outcome of social prescribing (discharge) and the coded entries.
 *
 * Dates are kept as ISO dates and written out ("14 February 1949") when shown, so summaries stored
 * before that change read the same way. Fields added later are optional for the same reason.
 */
export interface DischargeDocument {
  /** The social prescribing service that writes the summary: its letterhead. */
  service?: { name: string; address: string | null };
  demographics: {
    name: string;
    dateOfBirth: string;
    nhsNumber: string | null;
    sex: string | null;
    postcode: string | null;
    practice: string | null;
  };
  referral: { reference: string; received: string; referredBy: string | null; reasons: string[] };
  needsAndConcerns: { whatMatters: string | null; needs: { label: string; rating: string }[]; risks: string | null };
  supportOffered: {
    linkWorker: string;
    contacts: number;
    firstContact: string | null;
    goals: { goal: string; progress: string }[];
    activitiesReferredTo: { service: string; organisation: string | null; status: string; attendance: string }[];
    signposted: { service: string; organisation: string | null }[];
  };
  outcomes: { measure: string; before: number | null; after: number | null }[];
  discharge: { reason: string; date: string; summary: string; reasonNote?: string | null; stillOpen?: string[] };
  snomed: SnomedConcept[];
}

export const DISCHARGE_REASONS = [
  { code: 'goals_met', label: 'Goals met' },
  { code: 'connected_to_services', label: 'Connected to community services' },
  { code: 'person_chose_to_end', label: 'The person chose to end support' },
  { code: 'unable_to_engage', label: 'Unable to engage' },
  { code: 'moved_away', label: 'Moved away' },
  { code: 'referred_elsewhere', label: 'Referred elsewhere' },
  { code: 'died', label: 'Died' },
] as const;

/** "high need" -> "High need": values read as the start of a sentence. */
export function capitalised(text: string): string {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

const dated = (value: string | null | undefined) => (value ? formatDate(value) || value : '');

function sexText(sex: string | null): string {
  if (!sex) return 'Not recorded';
  return SEXES[sex as keyof typeof SEXES] ?? capitalised(sex.replace(/_/g, ' '));
}

/** The letterhead: the social prescribing service's name and address, one line each. */
export function documentLetterhead(d: DischargeDocument): string[] {
  if (!d.service) return [];
  return [
    d.service.name,
    ...(d.service.address ?? '')
      .split(/\r?\n|,\s*/)
      .map((l) => l.trim())
      .filter(Boolean),
  ];
}

/** Plain-text lines of the document, in order: the page and the PDF print these and tests read them back. */
export function documentSections(d: DischargeDocument): { heading: string; lines: string[] }[] {
  const s = d.supportOffered;
  const named = (service: string, organisation: string | null) => `${service}${organisation ? `, ${organisation}` : ''}`;
  return [
    {
      heading: 'Person demographics',
      lines: [
        `Name: ${d.demographics.name}`,
        `Date of birth: ${dated(d.demographics.dateOfBirth)}`,
        `NHS number: ${d.demographics.nhsNumber ? formatNhsNumber(d.demographics.nhsNumber) : 'Not recorded'}`,
        `Sex: ${sexText(d.demographics.sex)}`,
        `Postcode: ${d.demographics.postcode ?? 'Not recorded'}`,
      ],
    },
    { heading: 'GP practice', lines: [d.demographics.practice ?? 'Not recorded'] },
    {
      heading: 'Referrer details',
      lines: [
        `Referred by: ${d.referral.referredBy ?? 'Not recorded'}`,
        `Referral received: ${dated(d.referral.received)}`,
        `Reference: ${d.referral.reference}`,
        `Reasons for referral: ${d.referral.reasons.join(', ') || 'Not recorded'}`,
      ],
    },
    { heading: 'What matters to me', lines: [d.needsAndConcerns.whatMatters ?? 'Not recorded'] },
    {
      heading: 'Needs and concerns',
      lines: [
        ...(d.needsAndConcerns.needs.length
          ? d.needsAndConcerns.needs.map((n) => `${n.label}: ${capitalised(n.rating)}`)
          : ['No needs rated']),
        ...(d.needsAndConcerns.risks ? [`Risks: ${d.needsAndConcerns.risks}`] : []),
      ],
    },
    {
      heading: 'Personalised care and support plan',
      lines: [
        `Link worker: ${s.linkWorker}`,
        `Contacts: ${s.contacts}${s.firstContact ? ` (first on ${dated(s.firstContact)})` : ''}`,
        ...(s.goals.length ? s.goals.map((g) => `Goal: ${g.goal} (${capitalised(g.progress)})`) : ['No goals recorded']),
      ],
    },
    {
      heading: 'Activities referred to',
      lines: [
        ...s.activitiesReferredTo.map(
          (a) => `Referred to ${named(a.service, a.organisation)}: ${capitalised(a.status)}; ${capitalised(a.attendance)}`,
        ),
        ...s.signposted.map((a) => `Signposted to ${named(a.service, a.organisation)}`),
        ...(s.activitiesReferredTo.length || s.signposted.length ? [] : ['None']),
      ],
    },
    {
      heading: 'Outcome measures',
      lines: d.outcomes.length
        ? d.outcomes.map((o) => `${o.measure}: before ${o.before ?? 'not taken'}, after ${o.after ?? 'not taken'}`)
        : ['No outcome measures were recorded.'],
    },
    {
      heading: 'Social prescribing outcome',
      lines: [
        `Reason for discharge: ${d.discharge.reason}`,
        ...(d.discharge.reasonNote ? [`Note on the reason: ${d.discharge.reasonNote}`] : []),
        `Date of discharge: ${dated(d.discharge.date)}`,
        `Summary: ${d.discharge.summary}`,
        ...(d.discharge.stillOpen?.length ? [`Still open with services: ${d.discharge.stillOpen.join('; ')}`] : []),
      ],
    },
    { heading: 'Coded entries (SNOMED CT)', lines: d.snomed.map((c) => `${c.code} ${c.display}`) },
  ];
}
