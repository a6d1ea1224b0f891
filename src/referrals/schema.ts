import { isNeedCode } from '../directory/needs.ts';
import { normalisePostcode } from '../geo/postcodes.ts';
import type { FieldError } from '../web/errors.ts';
import { field as text, fields as list, version as checkVersion } from '../web/forms.ts';
import { findEthnicCategory } from './ethnicity.ts';
import { compactNhsNumber, EXAMPLE_NHS_NUMBER, isValidNhsNumber } from './nhs-number.ts';

// The shapes a person and a referral take on their way in, and the checks that give a person a
// message they can act on. Form bodies arrive as loose strings; these turn them into typed input.

export const SOURCES = {
  gp: 'GP',
  practice_nurse: 'Practice nurse',
  practice_staff: 'Other practice staff',
  hospital: 'Hospital',
  social_care: 'Social care',
  community: 'Community or voluntary organisation',
  self: 'The person themself',
  other: 'Other',
} as const;
export type ReferralSource = keyof typeof SOURCES;

export const CHANNELS = {
  web: 'Entered by the referrer',
  letter: 'Letter',
  phone: 'Phone call',
  email: 'Email',
  self: 'Self-referral online',
  fhir: 'GP system (FHIR)',
} as const;
export type ReferralChannel = keyof typeof CHANNELS;

export const URGENCIES = { routine: 'Routine', soon: 'Soon (within 2 weeks)', urgent: 'Urgent (within 2 working days)' } as const;
export type Urgency = keyof typeof URGENCIES;

export const SEXES = { female: 'Female', male: 'Male', intersex: 'Intersex', not_stated: 'Prefer not to say' } as const;

export const CONTACT_CHANNELS = { phone: 'Phone call', sms: 'Text message', email: 'Email', letter: 'Letter' } as const;
export type ContactChannel = keyof typeof CONTACT_CHANNELS;

export const CONTACT_MODES = {
  phone: 'Phone',
  face_to_face: 'Face to face',
  home_visit: 'Home visit',
  video: 'Video',
  group: 'Group',
  text_email: 'Text or email',
} as const;
export type ContactMode = keyof typeof CONTACT_MODES;

export const APPROACHES = {
  signposting: 'Signposting',
  guided_conversation: 'Guided conversation',
  motivational_interviewing: 'Motivational interviewing',
  health_coaching: 'Health coaching',
  counselling_informed: 'Counselling-informed support',
  warm_handover: 'Accompanied first visit or warm handover',
  group_session: 'Group session',
  practical_help: 'Practical help with forms',
} as const;
export type Approach = keyof typeof APPROACHES;

export interface PersonInput {
  nhsNumber: string | null;
  givenName: string;
  familyName: string;
  preferredName: string | null;
  dateOfBirth: string;
  sex: string | null;
  genderIdentity: string | null;
  ethnicity: string | null;
  postcode: string | null;
  address: string | null;
  phone: string | null;
  email: string | null;
  contactChannels: ContactChannel[];
  safeToLeaveMessage: boolean | null;
  interpreterLanguage: string | null;
  largePrint: boolean;
  easyRead: boolean;
  bsl: boolean;
  otherCommunicationNeeds: string | null;
  practiceId: string | null;
}

export interface ReferralInput {
  source: ReferralSource;
  channel: ReferralChannel;
  referrerName: string | null;
  referrerOrganisation: string | null;
  referrerEmail: string | null;
  reasons: string[];
  context: string | null;
  urgency: Urgency;
  consentToRefer: boolean;
  consentToShare: boolean;
  /** Consent to the use of pseudonymised records in approved research; not given unless asked and agreed. */
  consentToResearch?: boolean;
  risk: string | null;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Form fields through the one forms module: strings or a 400, trimmed, within limits. */
export { text, list };

const optional = (value: string) => (value === '' ? null : value);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

function tooLong(errors: FieldError[], field: string, value: string, max: number, what: string) {
  if (value.length > max) errors.push({ field, message: `${what} must be ${max} characters or fewer` });
}

/** A date from the NHS date input's day, month and year boxes (or one ISO string). */
export function checkDateOfBirth(day: string, month: string, year: string, today = new Date()): { value?: string; message?: string } {
  if (!day && !month && !year) return { message: 'Enter date of birth' };
  if (!day || !month || !year) return { message: 'Date of birth must include a day, month and year' };
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) {
    return { message: 'Date of birth must be a real date, like 15 3 1984' };
  }
  const d = Number(day),
    m = Number(month),
    y = Number(year);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return { message: 'Date of birth must be a real date' };
  }
  if (date.getTime() > today.getTime()) return { message: 'Date of birth must be in the past' };
  if (y < 1900) return { message: 'Date of birth must be after 1900' };
  return { value: `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}` };
}

function yesNo(value: string): boolean | null {
  if (value === 'yes') return true;
  if (value === 'no') return false;
  return null;
}

/** An optional NHS number as typed: the ten digits, null when empty, or a message. */
export function checkNhsNumber(raw: string): { value: string | null; message?: string } {
  if (!raw) return { value: null };
  const compact = compactNhsNumber(raw);
  if (!compact) return { value: null, message: `NHS number must be 10 digits, like ${EXAMPLE_NHS_NUMBER}` };
  if (!isValidNhsNumber(compact))
    return { value: null, message: 'Enter a valid NHS number: the one entered is not a real NHS number (check the digits)' };
  return { value: compact };
}

/** The person's details from a form body (staff or public wording share field names). */
export function checkPerson(body: unknown, options: { requireContact?: boolean } = {}): Checked<PersonInput> {
  const errors: FieldError[] = [];
  const nhs = checkNhsNumber(text(body, 'nhsNumber'));
  if (nhs.message) errors.push({ field: 'nhsNumber', message: nhs.message });
  const nhsNumber = nhs.value;
  const givenName = text(body, 'givenName');
  const familyName = text(body, 'familyName');
  if (!givenName) errors.push({ field: 'givenName', message: 'Enter first name' });
  if (!familyName) errors.push({ field: 'familyName', message: 'Enter last name' });
  tooLong(errors, 'givenName', givenName, 100, 'First name');
  tooLong(errors, 'familyName', familyName, 100, 'Last name');
  const preferredName = text(body, 'preferredName');
  tooLong(errors, 'preferredName', preferredName, 100, 'Preferred name');
  const dob = text(body, 'dateOfBirth');
  const isoDob = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dob);
  const dateOfBirth = isoDob
    ? checkDateOfBirth(isoDob[3]!, isoDob[2]!, isoDob[1]!)
    : checkDateOfBirth(text(body, 'dateOfBirth[day]'), text(body, 'dateOfBirth[month]'), text(body, 'dateOfBirth[year]'));
  if (dateOfBirth.message) errors.push({ field: 'dateOfBirth', message: dateOfBirth.message });
  const sex = text(body, 'sex');
  if (sex && !(sex in SEXES)) errors.push({ field: 'sex', message: 'Select sex from the list' });
  const genderIdentity = text(body, 'genderIdentity');
  tooLong(errors, 'genderIdentity', genderIdentity, 100, 'Gender identity');
  const ethnicity = text(body, 'ethnicity');
  if (ethnicity && !findEthnicCategory(ethnicity)) errors.push({ field: 'ethnicity', message: 'Select ethnic group from the list' });
  const rawPostcode = text(body, 'postcode');
  let postcode: string | null = null;
  if (rawPostcode) {
    const normal = normalisePostcode(rawPostcode);
    if (!normal) errors.push({ field: 'postcode', message: 'Enter a real postcode, like LS6 3AB' });
    else postcode = normal;
  }
  const address = text(body, 'address');
  tooLong(errors, 'address', address, 500, 'Address');
  const phone = text(body, 'phone');
  if (phone && !/^\+?[0-9 ()-]{10,20}$/.test(phone))
    errors.push({ field: 'phone', message: 'Enter a phone number, like 07700 900 982 or 0113 496 0000' });
  const email = text(body, 'email');
  if (email && (!EMAIL.test(email) || email.length > 254))
    errors.push({ field: 'email', message: 'Enter an email address in the correct format, like name@example.com' });
  const contactChannels = list(body, 'contactChannels');
  const badChannel = contactChannels.find((c) => !(c in CONTACT_CHANNELS));
  if (badChannel) errors.push({ field: 'contactChannels', message: 'Select how to contact from the list' });
  if (contactChannels.includes('email') && !email)
    errors.push({ field: 'email', message: 'Enter an email address, or do not choose email as a way to get in touch' });
  if ((contactChannels.includes('phone') || contactChannels.includes('sms')) && !phone) {
    errors.push({ field: 'phone', message: 'Enter a phone number, or do not choose phone calls or texts as a way to get in touch' });
  }
  if (options.requireContact && !phone && !email && !address) {
    errors.push({ field: 'phone', message: 'Enter a phone number, an email address or an address so we can get in touch' });
  }
  const interpreterLanguage = text(body, 'interpreterLanguage');
  tooLong(errors, 'interpreterLanguage', interpreterLanguage, 100, 'Language');
  const otherCommunicationNeeds = text(body, 'otherCommunicationNeeds');
  tooLong(errors, 'otherCommunicationNeeds', otherCommunicationNeeds, 1000, 'Other communication needs');
  const communication = list(body, 'communication');
  const practiceId = text(body, 'practiceId');
  if (practiceId && !isUuid(practiceId)) errors.push({ field: 'practiceId', message: 'Select a GP practice from the list' });
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      nhsNumber,
      givenName,
      familyName,
      preferredName: optional(preferredName),
      dateOfBirth: dateOfBirth.value!,
      sex: optional(sex),
      genderIdentity: optional(genderIdentity),
      ethnicity: optional(ethnicity),
      postcode,
      address: optional(address),
      phone: optional(phone),
      email: optional(email),
      contactChannels: contactChannels as ContactChannel[],
      safeToLeaveMessage: yesNo(text(body, 'safeToLeaveMessage')),
      interpreterLanguage: optional(interpreterLanguage),
      largePrint: communication.includes('largePrint'),
      easyRead: communication.includes('easyRead'),
      bsl: communication.includes('bsl'),
      otherCommunicationNeeds: optional(otherCommunicationNeeds),
      practiceId: optional(practiceId),
    },
  };
}

/** The referral's reason page: source, referrer, needs, context, urgency. */
export function checkReferralReason(
  body: unknown,
  options: { public?: boolean } = {},
): Checked<
  Pick<ReferralInput, 'source' | 'channel' | 'referrerName' | 'referrerOrganisation' | 'referrerEmail' | 'reasons' | 'context' | 'urgency'>
> {
  const errors: FieldError[] = [];
  const source = options.public ? 'self' : text(body, 'source');
  if (!(source in SOURCES)) errors.push({ field: 'source', message: 'Select who is referring' });
  const channel = options.public ? 'self' : text(body, 'channel') || 'web';
  if (!(channel in CHANNELS)) errors.push({ field: 'channel', message: 'Select how the referral arrived' });
  const referrerName = text(body, 'referrerName');
  const referrerOrganisation = text(body, 'referrerOrganisation');
  const referrerEmail = text(body, 'referrerEmail');
  tooLong(errors, 'referrerName', referrerName, 200, 'Referrer name');
  tooLong(errors, 'referrerOrganisation', referrerOrganisation, 200, 'Organisation');
  if (referrerEmail && !EMAIL.test(referrerEmail))
    errors.push({ field: 'referrerEmail', message: 'Enter the referrer’s email address in the correct format, like name@example.nhs.uk' });
  const reasons = [...new Set(list(body, 'reasons'))];
  if (reasons.length === 0) {
    errors.push({
      field: 'reasons',
      message: options.public ? 'Select at least one thing you would like help with' : 'Select at least one reason for the referral',
    });
  } else if (reasons.some((r) => !isNeedCode(r))) {
    errors.push({ field: 'reasons', message: 'Select reasons from the list' });
  }
  const context = text(body, 'context');
  tooLong(errors, 'context', context, 4000, options.public ? 'What you tell us' : 'Context');
  const urgency = options.public ? 'routine' : text(body, 'urgency') || 'routine';
  if (!(urgency in URGENCIES)) errors.push({ field: 'urgency', message: 'Select how urgent the referral is' });
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      source: source as ReferralSource,
      channel: channel as ReferralChannel,
      referrerName: optional(referrerName),
      referrerOrganisation: optional(referrerOrganisation),
      referrerEmail: optional(referrerEmail),
      reasons,
      context: optional(context),
      urgency: urgency as Urgency,
    },
  };
}

/** Consent to refer, to share and to research, and any known risk. Consent to refer is required. */
export function checkConsent(
  body: unknown,
  options: { public?: boolean } = {},
): Checked<Pick<ReferralInput, 'consentToRefer' | 'consentToShare' | 'consentToResearch' | 'risk'>> {
  const errors: FieldError[] = [];
  const refer = text(body, 'consentToRefer');
  const share = text(body, 'consentToShare');
  if (refer !== 'yes') {
    errors.push({
      field: 'consentToRefer',
      message: options.public
        ? 'You need to agree to us contacting you before you can send this'
        : 'The person must agree to the referral before you send it. Confirm they have agreed',
    });
  }
  if (!options.public && share !== 'yes' && share !== 'no')
    errors.push({ field: 'consentToShare', message: 'Select whether the person agrees to share their information' });
  const risk = text(body, 'risk');
  tooLong(errors, 'risk', risk, 2000, 'Risk');
  if (errors.length) return { ok: false, errors };
  // Research consent is optional and only "yes" gives it: unanswered means not given.
  const research = text(body, 'consentToResearch') === 'yes';
  return {
    ok: true,
    value: {
      consentToRefer: true,
      consentToShare: options.public ? share === 'yes' : share === 'yes',
      consentToResearch: research,
      risk: optional(risk),
    },
  };
}

export interface ContactInput {
  outcome: 'attempted' | 'made';
  mode: ContactMode;
  minutes: number | null;
  approach: Approach | null;
  notes: string | null;
}

export function checkContact(body: unknown): Checked<ContactInput> {
  const errors: FieldError[] = [];
  const outcome = text(body, 'outcome');
  if (outcome !== 'attempted' && outcome !== 'made') errors.push({ field: 'outcome', message: 'Select whether you spoke to the person' });
  const mode = text(body, 'mode');
  if (!(mode in CONTACT_MODES)) errors.push({ field: 'mode', message: 'Select how you tried to make contact' });
  const rawMinutes = text(body, 'minutes');
  let minutes: number | null = null;
  if (rawMinutes) {
    if (!/^\d{1,3}$/.test(rawMinutes) || Number(rawMinutes) > 600)
      errors.push({ field: 'minutes', message: 'Minutes must be a whole number from 0 to 600' });
    else minutes = Number(rawMinutes);
  }
  const approach = text(body, 'approach');
  if (approach && !(approach in APPROACHES)) errors.push({ field: 'approach', message: 'Select the approach from the list' });
  if (outcome === 'made' && !approach) errors.push({ field: 'approach', message: 'Select the approach you used' });
  const notes = text(body, 'notes');
  tooLong(errors, 'notes', notes, 8000, 'Notes');
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      outcome: outcome as ContactInput['outcome'],
      mode: mode as ContactMode,
      minutes,
      approach: (approach || null) as Approach | null,
      notes: optional(notes),
    },
  };
}

/** The version an edit form carries, for optimistic locking: required, or a 400. */
export { checkVersion };
