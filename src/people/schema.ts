import { normalisePostcode } from '../geo/postcodes.ts';

import type { FieldError } from '../web/errors.ts';
import { field as text, fields as list } from '../web/forms.ts';
import { FormField } from '../web/schemas.ts';
import { findEthnicCategory } from './ethnicity.ts';
import { compactNhsNumber, EXAMPLE_NHS_NUMBER, isValidNhsNumber } from './nhs-number.ts';
import { isUuid } from '../db/ids.ts';

// The shape a person's details take on their way in, and the checks that give a person a message
// they can act on. Staff forms, the public self-referral and FHIR intake share them.

export const SEXES = { female: 'Female', male: 'Male', intersex: 'Intersex', not_stated: 'Prefer not to say' } as const;

export const CONTACT_CHANNELS = { phone: 'Phone call', sms: 'Text message', email: 'Email', letter: 'Letter' } as const;
export type ContactChannel = keyof typeof CONTACT_CHANNELS;

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

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export const optional = (value: string) => (value === '' ? null : value);
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function tooLong(errors: FieldError[], field: string, value: string, max: number, what: string) {
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

/** The person's details as the person form posts them; staff and public forms share the names. */
export const PersonFields = {
  nhsNumber: FormField,
  givenName: FormField,
  familyName: FormField,
  preferredName: FormField,
  dateOfBirth: FormField,
  'dateOfBirth[day]': FormField,
  'dateOfBirth[month]': FormField,
  'dateOfBirth[year]': FormField,
  sex: FormField,
  genderIdentity: FormField,
  ethnicity: FormField,
  postcode: FormField,
  address: FormField,
  phone: FormField,
  email: FormField,
  contactChannels: FormField,
  safeToLeaveMessage: FormField,
  interpreterLanguage: FormField,
  communication: FormField,
  otherCommunicationNeeds: FormField,
  practiceId: FormField,
};
