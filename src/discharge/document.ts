import type { SnomedConcept } from '../interop/snomed.ts';
import { formatNhsNumber } from '../referrals/nhs-number.ts';

/**
 * The discharge summary, kept as written at discharge. Its sections follow the PRSB Social
 * Prescribing Information Standard's message back to the referrer: person demographics, needs
 * and concerns, support offered (including activities referred to and attendance), outcomes.
 */
export interface DischargeDocument {
  demographics: { name: string; dateOfBirth: string; nhsNumber: string | null; sex: string | null; postcode: string | null; practice: string | null };
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
  discharge: { reason: string; date: string; summary: string };
  snomed: SnomedConcept[];
}

export const DISCHARGE_REASONS = [
  { code: 'goals_met', label: 'Goals met' },
  { code: 'person_chose_to_end', label: 'The person chose to end support' },
  { code: 'unable_to_engage', label: 'Unable to engage' },
  { code: 'moved_away', label: 'Moved away' },
  { code: 'referred_elsewhere', label: 'Referred elsewhere' },
  { code: 'died', label: 'Died' },
] as const;

/** Plain-text lines of the document, in order: the PDF prints these and tests read them back. */
export function documentSections(d: DischargeDocument): { heading: string; lines: string[] }[] {
  const s = d.supportOffered;
  return [
    { heading: 'About the person', lines: [
      `Name: ${d.demographics.name}`, `Date of birth: ${d.demographics.dateOfBirth}`, `NHS number: ${d.demographics.nhsNumber ? formatNhsNumber(d.demographics.nhsNumber) : 'not recorded'}`,
      `Sex: ${d.demographics.sex ? d.demographics.sex.replace('_', ' ') : 'not recorded'}`,
      `Postcode: ${d.demographics.postcode ?? 'not recorded'}`, `GP practice: ${d.demographics.practice ?? 'not recorded'}`,
    ] },
    { heading: 'Referral', lines: [
      `Reference: ${d.referral.reference}`, `Received: ${d.referral.received}`, `Referred by: ${d.referral.referredBy ?? 'not recorded'}`,
      `Reasons: ${d.referral.reasons.join(', ')}`,
    ] },
    { heading: 'Needs and concerns', lines: [
      `What matters to them: ${d.needsAndConcerns.whatMatters ?? 'not recorded'}`,
      ...d.needsAndConcerns.needs.map((n) => `${n.label}: ${n.rating}`),
      ...(d.needsAndConcerns.risks ? [`Risks: ${d.needsAndConcerns.risks}`] : []),
    ] },
    { heading: 'Support offered', lines: [
      `Link worker: ${s.linkWorker}`, `Contacts: ${s.contacts}${s.firstContact ? ` (first on ${s.firstContact})` : ''}`,
      ...s.goals.map((g) => `Goal: ${g.goal} (${g.progress})`),
      ...s.activitiesReferredTo.map((a) => `Referred to ${a.service}${a.organisation ? `, ${a.organisation}` : ''}: ${a.status}; ${a.attendance}`),
      ...s.signposted.map((a) => `Signposted to ${a.service}${a.organisation ? `, ${a.organisation}` : ''}`),
    ] },
    { heading: 'Outcomes', lines: d.outcomes.length
      ? d.outcomes.map((o) => `${o.measure}: before ${o.before ?? 'not taken'}, after ${o.after ?? 'not taken'}`)
      : ['No outcome measures were recorded.'] },
    { heading: 'Discharge', lines: [`Reason: ${d.discharge.reason}`, `Date: ${d.discharge.date}`, `Summary: ${d.discharge.summary}`] },
    { heading: 'SNOMED CT codes for the GP record', lines: d.snomed.map((c) => `${c.code} ${c.display}`) },
  ];
}
