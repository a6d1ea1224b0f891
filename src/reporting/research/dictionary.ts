import { NEEDS } from '../../vocabulary/needs.ts';
import { DISCHARGE_REASONS } from '../../discharge/service.ts';
import { csvField } from '../../csv.ts';
import { INSTRUMENTS } from '../../outcomes/instruments.ts';
import { DECLINE_REASONS, ONWARD_LABELS, STOP_REASONS } from '../../social-prescriptions/lifecycle.ts';
import { ETHNIC_CATEGORIES } from '../../people/ethnicity.ts';
import { labels } from '../../referrals/present.ts';
import { K, LEVELS } from './anonymity.ts';

/** Every column of every extract file: what it means and how it is coded. */
export interface DictionaryColumn {
  name: string;
  meaning: string;
  coding: string;
}

export interface DictionaryFile {
  file: ExtractTable;
  description: string;
  columns: DictionaryColumn[];
}

export const EXTRACT_TABLES = ['referrals.csv', 'contacts.csv', 'outcome_measures.csv', 'onward_referrals.csv'] as const;
export type ExtractTable = (typeof EXTRACT_TABLES)[number];

const codes = (map: Record<string, string>) =>
  Object.entries(map)
    .map(([code, label]) => `${code} (${label})`)
    .join('; ');
const codeList = (list: readonly { code: string; label: string }[]) => list.map((c) => `${c.code} (${c.label})`).join('; ');

const PSEUDONYM =
  "A pseudonym: the first 16 hexadecimal characters of HMAC-SHA-256 of the record's id, keyed with this project's secret key. The same record has the same pseudonym in every extract of this project, and a different one in any other project.";
const MONTH = 'YYYY-MM, the calendar month in London time; empty when it has not happened';
const WITHHELD = `"withheld" where the person's row was generalised (see generalisation_level); "not_known" when not recorded`;

const person = (what: string): DictionaryColumn => ({ name: 'person_pseudonym', meaning: `The person ${what}`, coding: PSEUDONYM });
const referral = (what: string): DictionaryColumn => ({
  name: 'referral_pseudonym',
  meaning: `The referral ${what}; links to referrals.csv`,
  coding: PSEUDONYM,
});

export const DICTIONARY: readonly DictionaryFile[] = [
  {
    file: 'referrals.csv',
    description:
      "One row per referral to social prescribing of a person with an active consent to research. The person's quasi-identifiers are repeated on each of their referrals and are the same on every one.",
    columns: [
      person('referred; links rows across every file of this extract'),
      { name: 'referral_pseudonym', meaning: 'This referral', coding: PSEUDONYM },
      {
        name: 'age_band',
        meaning: "Age on the day of the person's first referral in this extract (quasi-identifier)",
        coding:
          '5-year bands 0-4 ... 85-89, 90+ at level 0; 10-year bands 0-9 ... 80-89, 90+ at level 1; 20-year bands 0-19, 20-39, 40-59, 60-79, 80+ at levels 2 to 4; not_known',
      },
      { name: 'sex', meaning: 'Sex as recorded (quasi-identifier)', coding: 'female; male; intersex; not_stated; not_known' },
      {
        name: 'ethnic_category',
        meaning: 'NHS Data Dictionary ethnic category (quasi-identifier)',
        coding: `${ETHNIC_CATEGORIES.map((c) => `${c.code} (${c.group === c.description ? c.description : `${c.group}: ${c.description}`})`).join('; ')}; unrecorded is 99; ${WITHHELD}`,
      },
      {
        name: 'ethnic_group',
        meaning: 'The top-level group of the ethnic category (quasi-identifier)',
        coding: `${[...new Set(ETHNIC_CATEGORIES.map((c) => c.group))].join('; ')}; "withheld" at level 4`,
      },
      {
        name: 'imd_decile',
        meaning:
          "Index of Multiple Deprivation decile of the area of the person's postcode (the postcode itself is never exported) (quasi-identifier)",
        coding: `1 (most deprived 10% of areas in England) to 10 (least deprived); ${WITHHELD}`,
      },
      {
        name: 'imd_quintile',
        meaning: 'IMD quintile of the same area (quasi-identifier)',
        coding: `1 (deciles 1-2, most deprived) to 5 (deciles 9-10); ${WITHHELD}`,
      },
      { name: 'practice', meaning: "The person's GP practice (quasi-identifier)", coding: `${PSEUDONYM} ${WITHHELD}` },
      {
        name: 'generalisation_level',
        meaning: `How far this person's quasi-identifiers were coarsened so that at least ${K} people share every combination`,
        coding: LEVELS.map((l) => `${l.level} (${l.description})`).join('; '),
      },
      { name: 'received_month', meaning: 'When the referral arrived', coding: MONTH },
      { name: 'source', meaning: 'Who referred', coding: codes(labels.SOURCES) },
      { name: 'channel', meaning: 'How the referral arrived', coding: codes(labels.CHANNELS) },
      { name: 'urgency', meaning: 'Urgency given by the referrer', coding: codes(labels.URGENCIES) },
      { name: 'needs', meaning: 'Reasons for the referral', coding: `Need codes separated by ";": ${codeList(NEEDS)}` },
      { name: 'status', meaning: "The referral's status when the extract was made", coding: codes(labels.STATUS_LABELS) },
      { name: 'status_month', meaning: 'When the referral reached that status', coding: MONTH },
      { name: 'first_contact_month', meaning: 'When the link worker first made contact (first move to "in contact")', coding: MONTH },
      {
        name: 'days_to_first_contact',
        meaning: 'Calendar days from arrival to first contact',
        coding: 'Whole days; empty when there has been no contact',
      },
      { name: 'discharge_month', meaning: 'When the person was discharged', coding: MONTH },
      {
        name: 'discharge_reason',
        meaning: 'Why support ended',
        coding: `${codeList(DISCHARGE_REASONS)}; not_recorded (discharged without a recorded reason); empty when not discharged`,
      },
      { name: 'days_to_discharge', meaning: 'Calendar days from arrival to discharge', coding: 'Whole days; empty when not discharged' },
    ],
  },
  {
    file: 'contacts.csv',
    description: 'One row per contact (made or attempted) on those referrals. Notes are never exported.',
    columns: [
      { name: 'contact_pseudonym', meaning: 'This contact', coding: PSEUDONYM },
      referral('the contact belongs to'),
      person('contacted'),
      { name: 'contact_month', meaning: 'When the contact happened', coding: MONTH },
      { name: 'outcome', meaning: 'Whether the person was reached', coding: 'made (spoke with the person); attempted (tried and failed)' },
      { name: 'mode', meaning: 'How', coding: codes(labels.CONTACT_MODES) },
      { name: 'minutes', meaning: 'Length of the contact', coding: 'Whole minutes; empty when not recorded' },
      { name: 'approach', meaning: 'The approach the link worker used', coding: `${codes(labels.APPROACHES)}; empty when not recorded` },
    ],
  },
  {
    file: 'outcome_measures.csv',
    description: 'One row per completed outcome measure (questionnaire) on those referrals.',
    columns: [
      { name: 'measure_pseudonym', meaning: 'This completed measure', coding: PSEUDONYM },
      referral('the measure was taken for'),
      person('who answered'),
      {
        name: 'instrument',
        meaning: 'The questionnaire',
        coding: Object.values(INSTRUMENTS)
          .map((i) => `${i.code} (${i.name})`)
          .join('; '),
      },
      { name: 'timepoint', meaning: "When in the person's support it was taken", coding: 'baseline; review; discharge' },
      { name: 'completed_month', meaning: 'When it was completed', coding: MONTH },
      { name: 'mode', meaning: 'How it was completed', coding: 'with_link_worker; self_completed (through a link sent to the person)' },
      {
        name: 'raw_score',
        meaning: 'The total score',
        coding: 'SWEMWBS raw score 7-35; UCLA 3-item sum 3-9; empty for ONS4, whose answers are never added up',
      },
      {
        name: 'metric_score',
        meaning: 'SWEMWBS metric score from the published conversion table',
        coding: 'Decimal; empty for other instruments',
      },
      {
        name: 'answers',
        meaning: 'The answer to each question',
        coding: `item=value pairs separated by ";", in the questionnaire's order. Items: ${Object.values(INSTRUMENTS)
          .map((i) => `${i.code}: ${i.items.map((item) => item.id).join(', ')}`)
          .join('; ')}`,
      },
    ],
  },
  {
    file: 'onward_referrals.csv',
    description:
      'One row per social prescription on those referrals: an onward referral to a community service, or signposting. Service names and notes are not exported.',
    columns: [
      { name: 'onward_referral_pseudonym', meaning: 'This social prescription', coding: PSEUDONYM },
      referral('it was made from'),
      person('it was made for'),
      { name: 'kind', meaning: 'Referral to a service or signposting only', coding: 'refer; signpost' },
      {
        name: 'delivery',
        meaning: 'How it reached the service',
        coding: 'signpost (through Signpost); email; print; signposted (the person was given the details)',
      },
      { name: 'need', meaning: 'The need the service was chosen for', coding: `${codeList(NEEDS)}; empty when not recorded` },
      { name: 'status', meaning: 'Where it stands', coding: codes(ONWARD_LABELS) },
      { name: 'created_month', meaning: 'When it was made', coding: MONTH },
      { name: 'sent_month', meaning: 'When it was sent to the service', coding: MONTH },
      { name: 'responded_month', meaning: 'When the service answered', coding: MONTH },
      { name: 'first_session_month', meaning: "When the person's first session was", coding: MONTH },
      { name: 'decline_reason', meaning: 'Why the service declined', coding: `${codeList(DECLINE_REASONS)}; empty unless declined` },
      { name: 'stop_reason', meaning: 'Why it stopped', coding: `${codeList(STOP_REASONS)}; empty unless stopped` },
    ],
  },
];

/** One CSV record (RFC 4180 quoting, CRLF between records). */
export function csvLine(cells: readonly unknown[]): string {
  return cells.map(csvField).join(',');
}

export function columnsOf(file: ExtractTable): string[] {
  return DICTIONARY.find((f) => f.file === file)!.columns.map((c) => c.name);
}

export function dictionaryCsv(): string {
  const rows = [['file', 'column', 'meaning', 'coding']];
  for (const f of DICTIONARY) for (const c of f.columns) rows.push([f.file, c.name, c.meaning, c.coding]);
  return rows.map(csvLine).join('\r\n') + '\r\n';
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function dictionaryMarkdown(): string {
  const lines = [
    '# Data dictionary',
    '',
    'Every file is UTF-8 CSV with a header row. Dates are months only; no names, NHS numbers, postcodes, contact details, free text or record ids are exported. Ids are replaced by pseudonyms keyed for this project.',
    '',
  ];
  for (const f of DICTIONARY) {
    lines.push(`## ${f.file}`, '', f.description, '', '| column | meaning | coding |', '| --- | --- | --- |');
    for (const c of f.columns) lines.push(`| \`${c.name}\` | ${cell(c.meaning)} | ${cell(c.coding)} |`);
    lines.push('');
  }
  return lines.join('\n');
}
