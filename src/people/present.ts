import { optionItems, asList, selectItems, str } from '../web/pages.ts';
import { practiceChoices } from '../identity/web.ts';
import { formatDate } from '../calendar/format.ts';
import { ETHNIC_CATEGORIES, ethnicCategoryLabel } from './ethnicity.ts';
import { EXAMPLE_NHS_NUMBER, formatNhsNumber } from './nhs-number.ts';
import { CONTACT_CHANNELS, SEXES, type PersonInput } from './schema.ts';

// A person's details as the pages show them: the person form's option lists, the summary rows,
// and how a submission compares with a record. Staff intake, the public form and the person page
// share them.

/** Option lists for the person question page, with what the form last held selected. */
export function personFormItems(values: Record<string, unknown>, practices: { id: string; name: string; odsCode: string }[]) {
  const communication = asList(values.communication);
  return {
    sexItems: [{ value: '', text: 'Not recorded' }, ...optionItems(SEXES, str(values.sex), 'selected')],
    ethnicityItems: selectItems(
      'Not recorded',
      ETHNIC_CATEGORIES.map((c) => ({ value: c.code, text: ethnicCategoryLabel(c.code) })),
      values.ethnicity,
    ),
    channelItems: optionItems(CONTACT_CHANNELS, asList(values.contactChannels)),
    safeItems: [
      { value: 'yes', text: 'Yes', checked: values.safeToLeaveMessage === 'yes' },
      { value: 'no', text: 'No', checked: values.safeToLeaveMessage === 'no' },
    ],
    communicationItems: [
      { value: 'largePrint', text: 'Large print', checked: communication.includes('largePrint') },
      { value: 'easyRead', text: 'Easy read', checked: communication.includes('easyRead') },
      { value: 'bsl', text: 'British Sign Language (BSL) interpreter', checked: communication.includes('bsl') },
    ],
    practiceItems: selectItems('Not known', practiceChoices(practices), values.practiceId),
    exampleNhsNumber: EXAMPLE_NHS_NUMBER,
  };
}

/**
 * A person's communication needs as one line ("Interpreter: Polish, Large print"); the public form
 * spells out British Sign Language where staff pages say BSL.
 */
export function communicationNeedsInWords(p: PersonInput, bsl = 'BSL'): string {
  return [
    p.interpreterLanguage ? `Interpreter: ${p.interpreterLanguage}` : '',
    p.largePrint ? 'Large print' : '',
    p.easyRead ? 'Easy read' : '',
    p.bsl ? bsl : '',
    p.otherCommunicationNeeds ?? '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** "check your answers" rows for a person. */
export function personRows(p: PersonInput & { deprivationDecile?: number | null }, practiceName: string | null, changeHref?: string) {
  const change = changeHref ? { items: [{ href: changeHref, text: 'Change', visuallyHiddenText: 'details' }] } : undefined;
  const communication = communicationNeedsInWords(p, 'BSL');
  const rows = [
    { key: { text: 'Name' }, value: { text: `${p.givenName} ${p.familyName}${p.preferredName ? ` (prefers ${p.preferredName})` : ''}` } },
    { key: { text: 'NHS number' }, value: { text: formatNhsNumber(p.nhsNumber) || 'Not given' } },
    { key: { text: 'Date of birth' }, value: { text: formatDate(p.dateOfBirth) } },
    { key: { text: 'Sex' }, value: { text: p.sex ? SEXES[p.sex as keyof typeof SEXES] : 'Not recorded' } },
    { key: { text: 'Gender identity' }, value: { text: p.genderIdentity ?? 'Not recorded' } },
    { key: { text: 'Ethnic group' }, value: { text: ethnicCategoryLabel(p.ethnicity) || 'Not recorded' } },
    {
      key: { text: 'Postcode' },
      value: {
        text: [p.postcode ?? 'Not given', p.deprivationDecile ? `(area deprivation decile ${p.deprivationDecile} of 10)` : '']
          .filter(Boolean)
          .join(' '),
      },
    },
    { key: { text: 'Address' }, value: { text: p.address ?? 'Not given' } },
    { key: { text: 'Phone' }, value: { text: p.phone ?? 'Not given' } },
    { key: { text: 'Email' }, value: { text: p.email ?? 'Not given' } },
    { key: { text: 'How to contact' }, value: { text: p.contactChannels.map((c) => CONTACT_CHANNELS[c]).join(', ') || 'Not given' } },
    {
      key: { text: 'Safe to leave a message' },
      value: { text: p.safeToLeaveMessage === null ? 'Not asked' : p.safeToLeaveMessage ? 'Yes' : 'No' },
    },
    { key: { text: 'Communication needs' }, value: { text: communication || 'None recorded' } },
    { key: { text: 'GP practice' }, value: { text: practiceName ?? 'Not known' } },
  ];
  return change ? rows.map((r) => ({ ...r, actions: change })) : rows;
}

/** The form values a person record fills an edit form with. */
export function personFormValues(p: PersonInput): Record<string, unknown> {
  const [year, month, day] = p.dateOfBirth.split('-');
  return {
    nhsNumber: formatNhsNumber(p.nhsNumber),
    givenName: p.givenName,
    familyName: p.familyName,
    preferredName: p.preferredName ?? '',
    'dateOfBirth[day]': String(Number(day)),
    'dateOfBirth[month]': String(Number(month)),
    'dateOfBirth[year]': year,
    sex: p.sex ?? '',
    genderIdentity: p.genderIdentity ?? '',
    ethnicity: p.ethnicity ?? '',
    postcode: p.postcode ?? '',
    address: p.address ?? '',
    phone: p.phone ?? '',
    email: p.email ?? '',
    contactChannels: p.contactChannels,
    safeToLeaveMessage: p.safeToLeaveMessage === null ? '' : p.safeToLeaveMessage ? 'yes' : 'no',
    interpreterLanguage: p.interpreterLanguage ?? '',
    communication: [p.largePrint ? 'largePrint' : '', p.easyRead ? 'easyRead' : '', p.bsl ? 'bsl' : ''].filter(Boolean),
    otherCommunicationNeeds: p.otherCommunicationNeeds ?? '',
    practiceId: p.practiceId ?? '',
  };
}

/** "name and date of birth", "date of birth": which parts of the identity differ. */
export function differencesText(differences: ('name' | 'dateOfBirth')[]): string {
  return differences.map((d) => (d === 'name' ? 'name' : 'date of birth')).join(' and ');
}

/** A tag saying whether a detail agrees with the record, for the matching page. */
export function agreementTag(agreement: 'agrees' | 'differs' | 'not_compared'): string {
  if (agreement === 'agrees') return '<strong class="nhsuk-tag nhsuk-tag--green">Agrees</strong>';
  if (agreement === 'differs') return '<strong class="nhsuk-tag nhsuk-tag--red">Differs</strong>';
  return '<strong class="nhsuk-tag nhsuk-tag--grey">Cannot compare</strong>';
}
