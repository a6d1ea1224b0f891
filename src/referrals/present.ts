import { findNeed, NEEDS } from '../vocabulary/needs.ts';
import { STATUS_LABELS, type ReferralStatus } from './lifecycle.ts';
import { formatNhsNumber } from '../people/nhs-number.ts';
import { asList, optionItems, str } from '../web/pages.ts';
import { communicationNeedsInWords } from '../people/present.ts';
import { APPROACHES, CHANNELS, CONTACT_MODES, SOURCES, URGENCIES } from './schema.ts';
import { CONTACT_CHANNELS, type PersonInput } from '../people/schema.ts';
import { formatDate } from '../calendar/format.ts';

// Turns rows into what the pages show: dates in words, codes as labels, option lists for the
// nhsuk macros. No logic of the domain lives here.

const STATUS_TAG: Partial<Record<ReferralStatus, string>> = {
  received: 'nhsuk-tag--blue',
  triaged: 'nhsuk-tag--aqua-green',
  allocated: 'nhsuk-tag--purple',
  in_contact: 'nhsuk-tag--green',
  assessed: 'nhsuk-tag--green',
  active_plan: 'nhsuk-tag--green',
  unable_to_contact: 'nhsuk-tag--orange',
  not_suitable: 'nhsuk-tag--grey',
  declined: 'nhsuk-tag--grey',
  withdrawn: 'nhsuk-tag--grey',
  discharged: 'nhsuk-tag--white',
};

export function statusTag(status: ReferralStatus) {
  return { text: STATUS_LABELS[status], classes: STATUS_TAG[status] ?? '' };
}

export function urgencyTag(urgency: string) {
  if (urgency === 'urgent') return { text: 'Urgent', classes: 'nhsuk-tag--red' };
  if (urgency === 'soon') return { text: 'Soon', classes: 'nhsuk-tag--yellow' };
  return { text: 'Routine', classes: 'nhsuk-tag--grey' };
}

export const needLabel = (code: string) => findNeed(code)?.label ?? code;

export function reasonsText(codes: string[]): string {
  return codes
    .map((code) => {
      const need = findNeed(code);
      return need?.snomed ? `${need.label} (SNOMED CT ${need.snomed.code})` : needLabel(code);
    })
    .join(', ');
}

export function reasonFormItems(values: Record<string, unknown>, options: { public?: boolean } = {}) {
  const reasons = asList(values.reasons);
  return {
    sourceItems: optionItems(Object.fromEntries(Object.entries(SOURCES).filter(([k]) => k !== 'self')), str(values.source)),
    // Not "channelItems": that name is the person's ways to be contacted, and the public form shows both lists.
    arrivalItems: optionItems(
      Object.fromEntries(Object.entries(CHANNELS).filter(([k]) => !['self', 'fhir'].includes(k))),
      str(values.channel) || 'web',
      'selected',
    ),
    reasonItems: NEEDS.map((n) => ({ value: n.code, text: options.public ? n.publicLabel : n.label, checked: reasons.includes(n.code) })),
    urgencyItems: optionItems(URGENCIES, str(values.urgency) || 'routine'),
  };
}

export function contactFormItems(values: Record<string, unknown>) {
  return {
    outcomeItems: [
      { value: 'made', text: 'Yes, we spoke', checked: values.outcome === 'made' },
      { value: 'attempted', text: 'No, I tried but could not reach them', checked: values.outcome === 'attempted' },
    ],
    modeItems: optionItems(CONTACT_MODES, str(values.mode)),
    approachItems: [
      { value: '', text: 'Not applicable (no contact made)', checked: !values.approach },
      ...optionItems(APPROACHES, str(values.approach)),
    ],
  };
}

const CONSENT_STATEMENTS = {
  refer: 'to the referral',
  share: 'to sharing their details with services that can help',
  contact: 'to being contacted',
  research: 'to their records being used, pseudonymised, in approved research',
} as const;

/** "Agreed to the referral; to being contacted": what a submission's consent rows say. */
export function consentStatements(consents: { kind: keyof typeof CONSENT_STATEMENTS }[]): string {
  return consents.length ? `Agreed ${consents.map((c) => CONSENT_STATEMENTS[c.kind]).join('; ')}` : 'None recorded';
}

export const labels = { SOURCES, CHANNELS, URGENCIES, CONTACT_MODES, APPROACHES, STATUS_LABELS };

export interface AnswerRow {
  key: string;
  value: string;
  /** The form field a "Change" goes back to, and what it changes for screen readers. */
  field: string;
  change: string;
}

/**
 * The public "check your answers" in the person's own terms: only what the form asked, each with
 * the field a "Change" returns to (NHS.UK check answers pattern).
 */
export function selfReferralRows(
  p: PersonInput,
  r: { reasons: string[]; context: string | null; consentToShare: boolean; consentToResearch?: boolean },
) {
  const communication = communicationNeedsInWords(p, 'British Sign Language (BSL) interpreter');
  const row = (key: string, value: string, field: string, change: string): AnswerRow => ({ key, value, field, change });
  return {
    personRows: [
      row('Name', `${p.givenName} ${p.familyName}`, 'givenName', 'name'),
      row('Name you like to be called', p.preferredName ?? 'Not given', 'preferredName', 'the name you like to be called'),
      row('Date of birth', formatDate(p.dateOfBirth), 'dateOfBirth-day', 'date of birth'),
      row('NHS number', formatNhsNumber(p.nhsNumber) || 'Not given', 'nhsNumber', 'NHS number'),
      row('Postcode', p.postcode ?? 'Not given', 'postcode', 'postcode'),
      row('Address', p.address ?? 'Not given', 'address', 'address'),
      row('Phone number', p.phone ?? 'Not given', 'phone', 'phone number'),
      row('Email address', p.email ?? 'Not given', 'email', 'email address'),
      row(
        'How we can get in touch',
        p.contactChannels.map((c) => CONTACT_CHANNELS[c]).join(', ') || 'Any of the ways you gave us',
        'contactChannels',
        'how we can get in touch',
      ),
      row(
        'OK to leave a message',
        p.safeToLeaveMessage === null ? 'Not answered' : p.safeToLeaveMessage ? 'Yes' : 'No',
        'safeToLeaveMessage',
        'whether it is OK to leave a message',
      ),
      row('Help to communicate with us', communication || 'None', 'interpreterLanguage', 'help to communicate with us'),
    ],
    helpRows: [
      row(
        'What you would like help with',
        r.reasons.map((c) => findNeed(c)?.publicLabel ?? needLabel(c)).join(', '),
        'reasons',
        'what you would like help with',
      ),
      row('What you told us', r.context ?? 'Nothing else', 'context', 'what you told us'),
      row(
        'We can share your details with services that can help',
        r.consentToShare ? 'Yes' : 'No',
        'consentToShare',
        'whether we can share your details',
      ),
      row(
        'Your records can be used for research, without your name or details',
        r.consentToResearch ? 'Yes' : 'No',
        'consentToResearch',
        'whether your records can be used for research',
      ),
    ],
  };
}
