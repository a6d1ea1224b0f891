import { createHmac } from 'node:crypto';
import { localDate } from '../../calendar/london.ts';
import { INSTRUMENTS, isInstrumentCode } from '../../outcomes/instruments.ts';
import { K, kAnonymise, LEVELS, QUASI_IDENTIFIER_COLUMNS, type QuasiIdentifiers } from './anonymity.ts';
import { columnsOf, csvLine, dictionaryCsv, dictionaryMarkdown, EXTRACT_TABLES, type ExtractTable } from './dictionary.ts';
import type { SourceContact, SourceMeasure, SourceOnward, SourcePerson, SourceReferral } from './queries.ts';

/** Everything an extract is made from, read in one transaction. */
export interface ExtractSource {
  people: SourcePerson[];
  referrals: SourceReferral[];
  contacts: SourceContact[];
  measures: SourceMeasure[];
  onward: SourceOnward[];
  /** The person's area deprivation decile from their postcode, where the record has none. */
  imdFromPostcode: Map<string, number>;
}

export interface ExtractProject {
  name: string;
  purpose: string;
  approvalReference: string;
}

export const EXTRACT_FILES = [...EXTRACT_TABLES, 'data_dictionary.csv', 'data_dictionary.md', 'manifest.json'] as const;
export type ExtractFile = (typeof EXTRACT_FILES)[number];

export interface KAnonymityFigures {
  k: number;
  quasiIdentifiers: readonly string[];
  peopleWithConsent: number;
  peopleReleased: number;
  peopleGeneralised: number;
  peopleSuppressed: number;
  peopleByLevel: { level: number; description: string; people: number }[];
  smallestGroup: number;
}

export interface Manifest {
  project: ExtractProject;
  generatedAt: string;
  files: { name: string; rows: number }[];
  rowCounts: Record<ExtractTable, number>;
  rowsSuppressed: Record<ExtractTable, number>;
  filters: Record<string, string>;
  kAnonymity: KAnonymityFigures;
  pseudonymisation: string;
  dates: string;
}

export interface BuiltExtract {
  manifest: Manifest;
  files: { name: ExtractFile; content: string }[];
}

const DAY = 86_400_000;

/** HMAC-SHA-256 of the id under the project's key; 16 hex characters (64 bits) is ample for a project's records. */
export function pseudonym(key: Buffer, id: string): string {
  return createHmac('sha256', key).update(id).digest('hex').slice(0, 16);
}

const month = (at: Date | string | null): string => {
  if (!at) return '';
  return (typeof at === 'string' ? at : localDate(at)).slice(0, 7);
};

/** Calendar days between the London dates of two moments. */
const daysBetween = (from: Date, to: Date | null): string =>
  to ? String(Math.round((Date.parse(localDate(to)) - Date.parse(localDate(from))) / DAY)) : '';

/** Whole years between a date of birth and a London date, both YYYY-MM-DD. */
export function ageOn(dateOfBirth: string, on: string): number {
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = on.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

/**
 * Answers in the questionnaire's order. Only the instrument's own items with numeric answers
 * leave: anything else is dropped rather than risk free text.
 */
function answersText(instrument: string, answers: Record<string, unknown>): string {
  const items = isInstrumentCode(instrument) ? INSTRUMENTS[instrument].items : [];
  return items
    .filter((item) => typeof answers?.[item.id] === 'number' && Number.isFinite(answers[item.id]))
    .map((item) => `${item.id}=${String(answers[item.id])}`)
    .join(';');
}

const byFirstColumn = (a: string[], b: string[]) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0);

function table(name: ExtractTable, rows: Record<string, string>[]): string {
  const columns = columnsOf(name);
  const lines = rows.map((row) => columns.map((c) => row[c] ?? '')).sort(byFirstColumn);
  return [csvLine(columns), ...lines.map(csvLine)].join('\r\n') + '\r\n';
}

/**
 * Builds the files of a research extract: pseudonymised, dates as months, ages in bands, areas as
 * IMD deciles, and k-anonymous over the quasi-identifiers, with a data dictionary and manifest.
 * The people in `source` are already only those with an active consent to research.
 */
export function buildExtract(
  source: ExtractSource,
  key: Buffer,
  project: ExtractProject,
  generatedAt: Date,
  chosen: Record<string, string> = {},
): BuiltExtract {
  const p = (id: string) => pseudonym(key, id);
  const firstReceived = new Map<string, Date>();
  for (const r of source.referrals) {
    const seen = firstReceived.get(r.personId);
    if (!seen || r.receivedAt < seen) firstReceived.set(r.personId, r.receivedAt);
  }
  const firstPractice = new Map<string, string>();
  for (const r of [...source.referrals].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime())) {
    if (r.practiceId && !firstPractice.has(r.personId)) firstPractice.set(r.personId, r.practiceId);
  }
  // People without a referral have nothing to release.
  const quasi = new Map<string, QuasiIdentifiers>();
  for (const person of source.people) {
    const first = firstReceived.get(person.id);
    if (!first) continue;
    const practiceId = person.practiceId ?? firstPractice.get(person.id) ?? null;
    quasi.set(person.id, {
      age: ageOn(person.dateOfBirth, localDate(first)),
      sex: person.sex,
      ethnicity: person.ethnicity,
      imdDecile: person.imdDecile ?? source.imdFromPostcode.get(person.id) ?? null,
      practice: practiceId ? p(practiceId) : null,
    });
  }
  const anonymity = kAnonymise(quasi);
  const released = anonymity.released;
  const keep = <T extends { personId: string }>(rows: T[]) => rows.filter((r) => released.has(r.personId));
  const suppressedRows = <T extends { personId: string }>(rows: T[]) => rows.filter((r) => !released.has(r.personId)).length;

  const referrals = keep(source.referrals).map((r) => ({
    person_pseudonym: p(r.personId),
    referral_pseudonym: p(r.id),
    ...released.get(r.personId)!,
    received_month: month(r.receivedAt),
    source: r.source,
    channel: r.channel,
    urgency: r.urgency,
    needs: [...r.reasons].sort().join(';'),
    status: r.status,
    status_month: month(r.statusChangedAt),
    first_contact_month: month(r.firstContactAt),
    days_to_first_contact: daysBetween(r.receivedAt, r.firstContactAt),
    discharge_month: month(r.dischargedAt),
    discharge_reason: r.dischargeReason ?? '',
    days_to_discharge: daysBetween(r.receivedAt, r.dischargedAt),
  }));
  // A record of one referral: its own pseudonym, then its referral's and its person's.
  const ofReferral = (column: string, row: { id: string; referralId: string; personId: string }) => ({
    [column]: p(row.id),
    referral_pseudonym: p(row.referralId),
    person_pseudonym: p(row.personId),
  });
  const contacts = keep(source.contacts).map((c) => ({
    ...ofReferral('contact_pseudonym', c),
    contact_month: month(c.occurredAt),
    outcome: c.outcome,
    mode: c.mode,
    minutes: c.minutes === null ? '' : String(c.minutes),
    approach: c.approach ?? '',
  }));
  const measures = keep(source.measures).map((m) => ({
    ...ofReferral('measure_pseudonym', m),
    instrument: m.instrument,
    timepoint: m.timepoint,
    completed_month: month(m.completedAt),
    mode: m.mode,
    raw_score: m.rawScore === null ? '' : String(m.rawScore),
    metric_score: m.metricScore ?? '',
    answers: answersText(m.instrument, m.answers),
  }));
  const onward = keep(source.onward).map((o) => ({
    ...ofReferral('onward_referral_pseudonym', o),
    kind: o.kind,
    delivery: o.delivery,
    need: o.need ?? '',
    status: o.status,
    created_month: month(o.createdAt),
    sent_month: month(o.sentAt),
    responded_month: month(o.respondedAt),
    first_session_month: month(o.firstSessionDate),
    decline_reason: o.declineReason ?? '',
    stop_reason: o.stopReason ?? '',
  }));

  const rowCounts: Record<ExtractTable, number> = {
    'referrals.csv': referrals.length,
    'contacts.csv': contacts.length,
    'outcome_measures.csv': measures.length,
    'onward_referrals.csv': onward.length,
  };
  const manifest: Manifest = {
    project,
    generatedAt: generatedAt.toISOString(),
    files: EXTRACT_TABLES.map((name) => ({ name, rows: rowCounts[name] })),
    rowCounts,
    rowsSuppressed: {
      'referrals.csv': suppressedRows(source.referrals),
      'contacts.csv': suppressedRows(source.contacts),
      'outcome_measures.csv': suppressedRows(source.measures),
      'onward_referrals.csv': suppressedRows(source.onward),
    },
    filters: {
      consent: 'People with an active (not withdrawn) consent to research when the extract was generated',
      records:
        'Live person records (records merged into another are counted as that one); every referral of those people that the filters below choose, with its contacts, outcome measures and onward referrals',
      ...chosen,
    },
    kAnonymity: {
      k: K,
      quasiIdentifiers: QUASI_IDENTIFIER_COLUMNS,
      peopleWithConsent: quasi.size,
      peopleReleased: released.size,
      peopleGeneralised: anonymity.generalised,
      peopleSuppressed: anonymity.suppressed.length,
      peopleByLevel: LEVELS.map((l) => ({ level: l.level, description: l.description, people: anonymity.byLevel[l.level] ?? 0 })),
      smallestGroup: anonymity.smallestGroup,
    },
    pseudonymisation:
      "HMAC-SHA-256 of each record id with a secret key held by the service for this project (first 16 hex characters); stable across this project's extracts, unlinkable across projects",
    dates: 'Calendar months (YYYY-MM) in London time; ages in bands; postcodes replaced by IMD deciles',
  };
  return {
    manifest,
    files: [
      { name: 'referrals.csv', content: table('referrals.csv', referrals) },
      { name: 'contacts.csv', content: table('contacts.csv', contacts) },
      { name: 'outcome_measures.csv', content: table('outcome_measures.csv', measures) },
      { name: 'onward_referrals.csv', content: table('onward_referrals.csv', onward) },
      { name: 'data_dictionary.csv', content: dictionaryCsv() },
      { name: 'data_dictionary.md', content: dictionaryMarkdown() },
      { name: 'manifest.json', content: `${JSON.stringify(manifest, null, 2)}\n` },
    ],
  };
}
