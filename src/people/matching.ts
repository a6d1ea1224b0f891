import { formatNhsNumber } from './nhs-number.ts';
import type { PersonInput } from './schema.ts';

// Which details of a submitted referral agree with an existing record. Used for the staff
// "check your answers" page (an NHS number on someone else's record) and for the lead's side by
// side comparison before a held referral is matched.

export type Identity = Pick<PersonInput, 'nhsNumber' | 'givenName' | 'familyName' | 'dateOfBirth'>;
export type Details = Identity & Pick<PersonInput, 'postcode' | 'phone' | 'email'>;

export type Agreement = 'agrees' | 'differs' | 'not_compared';

export interface DetailComparison {
  field: 'nhsNumber' | 'name' | 'dateOfBirth' | 'postcode' | 'phone' | 'email';
  label: string;
  submitted: string;
  record: string;
  agreement: Agreement;
}

// Case, accents, spaces, hyphens and apostrophes are how the same name gets typed differently;
// anything beyond that is a different name for a lead to judge.
const nameKey = (given: string, family: string) =>
  `${given} ${family}`
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
const postcodeKey = (value: string) => value.toUpperCase().replace(/\s+/g, '');
const phoneKey = (value: string) => value.replace(/\D/g, '').replace(/^44/, '0');
const emailKey = (value: string) => value.trim().toLowerCase();

export function namesAgree(a: Pick<Identity, 'givenName' | 'familyName'>, b: Pick<Identity, 'givenName' | 'familyName'>): boolean {
  return nameKey(a.givenName, a.familyName) === nameKey(b.givenName, b.familyName);
}

/**
 * The fields of the identity that differ when two records share an NHS number: a record with the
 * same NHS number but another name or date of birth is a mismatch to resolve, not a duplicate.
 */
export function identityDifferences(submitted: Identity, record: Identity): ('name' | 'dateOfBirth')[] {
  const differ: ('name' | 'dateOfBirth')[] = [];
  if (!namesAgree(submitted, record)) differ.push('name');
  if (submitted.dateOfBirth !== record.dateOfBirth) differ.push('dateOfBirth');
  return differ;
}

function compare(
  field: DetailComparison['field'],
  label: string,
  submitted: string | null,
  record: string | null,
  key: (v: string) => string,
  show: (v: string) => string = (v) => v,
): DetailComparison {
  const agreement: Agreement = !submitted || !record ? 'not_compared' : key(submitted) === key(record) ? 'agrees' : 'differs';
  return { field, label, submitted: submitted ? show(submitted) : 'Not given', record: record ? show(record) : 'Not held', agreement };
}

/** Each detail side by side, saying whether it agrees, differs, or is missing on one side. */
export function compareDetails(submitted: Details, record: Details, formatDate: (isoDate: string) => string): DetailComparison[] {
  const fullName = (p: Details) => `${p.givenName} ${p.familyName}`;
  return [
    compare('nhsNumber', 'NHS number', submitted.nhsNumber, record.nhsNumber, (v) => v, formatNhsNumber),
    {
      ...compare('name', 'Name', fullName(submitted), fullName(record), (v) => v),
      agreement: namesAgree(submitted, record) ? 'agrees' : 'differs',
    },
    compare('dateOfBirth', 'Date of birth', submitted.dateOfBirth, record.dateOfBirth, (v) => v, formatDate),
    compare('postcode', 'Postcode', submitted.postcode, record.postcode, postcodeKey),
    compare('phone', 'Phone', submitted.phone, record.phone, phoneKey),
    compare('email', 'Email', submitted.email, record.email, emailKey),
  ];
}
