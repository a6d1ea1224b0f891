import { inflateRawSync } from 'node:zlib';
import type { Database } from '../../src/db/database.ts';
import { parseCsv } from '../../src/csv.ts';
import { aReportedReferral } from './reporting-factories.ts';

// People for research extract tests: one referral each with a contact (with notes), a SWEMWBS
// baseline and an onward referral (with a service name and notes), so every output file has rows
// and every kind of identifying text is there to leak.

export interface ResearchPersonOptions {
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  sex: string | null;
  ethnicity: string | null;
  deprivationDecile: number | null;
  practiceId: string | null;
  receivedAt?: string;
  /** Need codes; default loneliness. */
  reasons?: string[];
  postcode?: string;
  /** Default: an active research consent. */
  consent?: 'research' | 'none';
}

export async function aResearchPerson(database: Database, tenantId: string, o: ResearchPersonOptions) {
  const receivedAt = o.receivedAt ?? '2026-09-15T10:00:00Z';
  const made = await aReportedReferral(database, tenantId, {
    givenName: o.givenName,
    familyName: o.familyName,
    dateOfBirth: o.dateOfBirth,
    sex: o.sex,
    ethnicity: o.ethnicity,
    deprivationDecile: o.deprivationDecile,
    postcode: o.postcode ?? 'LS6 3AB',
    practiceId: o.practiceId,
    receivedAt,
    reasons: o.reasons,
    transitions: [
      { to: 'triaged', at: '2026-09-16T10:00:00Z' },
      { to: 'allocated', at: '2026-09-17T10:00:00Z' },
      { to: 'in_contact', at: '2026-09-20T10:00:00Z' },
    ],
    contacts: [{ outcome: 'made', at: '2026-09-20T10:00:00Z', approach: 'guided_conversation' }],
    onward: [{ kind: 'refer', status: 'sent' }],
  });
  const pool = database.pool;
  const email = `${o.givenName}.${o.familyName}@example.com`.toLowerCase();
  const phone = `07700 900${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;
  await pool.query('UPDATE person SET email = $2, phone = $3, address = $4 WHERE id = $1', [
    made.personId,
    email,
    phone,
    `1 ${o.familyName} Street, Leeds`,
  ]);
  const notes = `Spoke with ${o.givenName} about the allotment; worried about money since the bereavement`;
  await pool.query('UPDATE contact SET notes = $2 WHERE referral_id = $1', [made.referralId, notes]);
  await pool.query(`UPDATE referral SET context = $2, risk = $3 WHERE id = $1`, [
    made.referralId,
    `Context for ${o.familyName}: lives alone`,
    `Dog in the house of ${o.familyName}`,
  ]);
  await pool.query(`UPDATE onward_referral SET note = $2, service_name = $3 WHERE referral_id = $1`, [
    made.referralId,
    `Note for the service about ${o.givenName}`,
    'Hyde Park Allotment Friends',
  ]);
  const answers = {
    own_mind: 3,
    optimistic: 3,
    useful: 4,
    relaxed: 2,
    dealing_with_problems: 3,
    thinking_clearly: 4,
    close_to_others: 3,
    note: 'free text never leaves',
  };
  await pool.query(
    `INSERT INTO outcome_administration (tenant_id, referral_id, person_id, instrument, timepoint, completed_at, mode, raw_score, metric_score, answers)
     VALUES ($1, $2, $3, 'swemwbs', 'baseline', '2026-09-20T11:00:00Z', 'self_completed', 22, 20.73, $4)`,
    [tenantId, made.referralId, made.personId, JSON.stringify(answers)],
  );
  if ((o.consent ?? 'research') === 'research') {
    await pool.query(
      `INSERT INTO consent (tenant_id, person_id, referral_id, kind, recorded_by_description) VALUES ($1, $2, $3, 'research', 'The person, online')`,
      [tenantId, made.personId, made.referralId],
    );
  }
  return { ...made, email, phone, notes, dateOfBirth: o.dateOfBirth };
}

/** The key a project's pseudonyms are made with, read as the database owner. */
export async function projectKey(database: Database, projectId: string): Promise<Buffer> {
  const { rows } = await database.pool.query<{ key: Buffer }>('SELECT pseudonym_key AS key FROM research_project WHERE id = $1', [
    projectId,
  ]);
  return rows[0]!.key;
}

export function csvRows(content: string): Record<string, string>[] {
  return parseCsv(content);
}

/** Reads a zip's entries by walking its local headers and inflating each (method 8). */
export function unzip(zip: Buffer): Map<string, string> {
  const files = new Map<string, string>();
  let at = 0;
  while (zip.readUInt32LE(at) === 0x04034b50) {
    const method = zip.readUInt16LE(at + 8);
    const packedSize = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const extraLength = zip.readUInt16LE(at + 28);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString('utf8');
    const start = at + 30 + nameLength + extraLength;
    const packed = zip.subarray(start, start + packedSize);
    files.set(name, (method === 8 ? inflateRawSync(packed) : packed).toString('utf8'));
    at = start + packedSize;
  }
  return files;
}
