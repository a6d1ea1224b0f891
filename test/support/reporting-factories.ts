import { randomInt } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import { aTestNhsNumber } from './referrals-factories.ts';

// Referrals with their history at fixed times, written as the database owner, so reporting
// tests can hand-compute every figure the read model should hold.

const REFERENCE_LETTERS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function aReference(): string {
  return `SP-${Array.from({ length: 8 }, () => REFERENCE_LETTERS[randomInt(REFERENCE_LETTERS.length)]).join('')}`;
}

export interface ReportedReferralOptions {
  givenName?: string;
  familyName?: string;
  dateOfBirth?: string;
  sex?: string | null;
  ethnicity?: string | null;
  deprivationDecile?: number | null;
  postcode?: string | null;
  practiceId?: string | null;
  source?: string;
  reasons?: string[];
  urgency?: string;
  receivedAt: string;
  /** Life-cycle moves after "received", in order; the last one is the referral's status. */
  transitions?: { to: string; at: string }[];
  contacts?: { outcome: 'attempted' | 'made'; at: string; approach?: string | null; mode?: string; minutes?: number }[];
  /** The link worker the referral is allocated to. */
  assignedTo?: string | null;
  /** Outcome measures: SWEMWBS with its metric score, UCLA with its sum, ONS4 with its answers. */
  outcomes?: {
    instrument: 'swemwbs' | 'ons4' | 'ucla3';
    timepoint: 'baseline' | 'review' | 'discharge';
    at: string;
    score?: number;
    answers?: Record<string, number>;
  }[];
  discharge?: { reason: string; at: string };
  onward?: { kind: 'refer' | 'signpost'; status: string; attended?: boolean }[];
}

/** One person and one referral with the given history; returns their ids and identifying text. */
export async function aReportedReferral(database: Database, tenantId: string, options: ReportedReferralOptions) {
  const pool = database.pool;
  const nhsNumber = aTestNhsNumber();
  const person = await pool.query<{ id: string }>(
    `INSERT INTO person (tenant_id, nhs_number, given_name, family_name, date_of_birth, sex, ethnicity, deprivation_decile, postcode, practice_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [
      tenantId,
      nhsNumber,
      options.givenName ?? 'Report',
      options.familyName ?? 'Person',
      options.dateOfBirth ?? '1960-06-15',
      options.sex ?? null,
      options.ethnicity ?? null,
      options.deprivationDecile ?? null,
      options.postcode ?? null,
      options.practiceId ?? null,
    ],
  );
  const personId = person.rows[0]!.id;
  const transitions = options.transitions ?? [];
  const status = transitions.at(-1)?.to ?? 'received';
  const referral = await pool.query<{ id: string }>(
    `INSERT INTO referral (tenant_id, reference, person_id, source, practice_id, reasons, urgency, consent_to_refer, consent_to_share, status, received_at, status_changed_at, assigned_to)
     VALUES ($1, $2, $3, $4, $5, $6, $7, true, true, $8, $9, $10, $11) RETURNING id`,
    [
      tenantId,
      aReference(),
      personId,
      options.source ?? 'gp',
      options.practiceId ?? null,
      options.reasons ?? ['loneliness'],
      options.urgency ?? 'routine',
      status,
      options.receivedAt,
      transitions.at(-1)?.at ?? options.receivedAt,
      options.assignedTo ?? null,
    ],
  );
  const referralId = referral.rows[0]!.id;
  let from: string | null = null;
  for (const t of [{ to: 'received', at: options.receivedAt }, ...transitions]) {
    await pool.query(
      `INSERT INTO referral_transition (tenant_id, referral_id, from_status, to_status, occurred_at) VALUES ($1, $2, $3, $4, $5)`,
      [tenantId, referralId, from, t.to, t.at],
    );
    from = t.to;
  }
  for (const c of options.contacts ?? []) {
    await pool.query(
      `INSERT INTO contact (tenant_id, referral_id, outcome, mode, approach, occurred_at, minutes) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [tenantId, referralId, c.outcome, c.mode ?? 'phone', c.approach ?? null, c.at, c.minutes ?? null],
    );
  }
  for (const o of options.outcomes ?? []) {
    await pool.query(
      `INSERT INTO outcome_administration (tenant_id, referral_id, person_id, instrument, timepoint, completed_at, mode, raw_score, metric_score, answers)
       VALUES ($1, $2, $3, $4, $5, $6, 'self_completed', $7, $8, $9)`,
      [
        tenantId,
        referralId,
        personId,
        o.instrument,
        o.timepoint,
        o.at,
        o.instrument === 'ucla3' ? o.score : o.instrument === 'swemwbs' ? 20 : null,
        o.instrument === 'swemwbs' ? o.score : null,
        JSON.stringify(o.answers ?? {}),
      ],
    );
  }
  if (options.discharge) {
    await pool.query(
      `INSERT INTO discharge (tenant_id, referral_id, reason, summary, document, discharged_at) VALUES ($1, $2, $3, 'Support ended.', '{}', $4)`,
      [tenantId, referralId, options.discharge.reason, options.discharge.at],
    );
  }
  for (const [i, o] of (options.onward ?? []).entries()) {
    const onward = await pool.query<{ id: string }>(
      `INSERT INTO onward_referral (tenant_id, referral_id, person_id, kind, delivery, service_id, service_name, status, consent_recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'Report Walking Group', $7, $8) RETURNING id`,
      [
        tenantId,
        referralId,
        personId,
        o.kind,
        o.kind === 'refer' ? 'email' : 'signposted',
        `report-service-${i}`,
        o.status,
        o.kind === 'refer' ? options.receivedAt : null,
      ],
    );
    if (o.attended !== undefined) {
      await pool.query(`INSERT INTO onward_attendance (tenant_id, onward_referral_id, attended) VALUES ($1, $2, $3)`, [
        tenantId,
        onward.rows[0]!.id,
        o.attended,
      ]);
    }
  }
  return { referralId, personId, nhsNumber, givenName: options.givenName ?? 'Report', familyName: options.familyName ?? 'Person' };
}

/** The read model's row for a referral, as the database holds it. */
export async function factRow(database: Database, referralId: string) {
  const { rows } = await database.pool.query(
    `SELECT practice_id, source, needs, urgency, to_char(received_month, 'YYYY-MM-DD') AS received_month, status, first_contact_days, discharge_days,
            discharge_reason, age_band, sex, ethnic_group, imd_decile, contact_attempts, contacts_made, contact_approaches,
            onward_referrals, onward_attended, signposted
       FROM reporting_referral_fact WHERE referral_id = $1`,
    [referralId],
  );
  return rows[0] as Record<string, unknown> | undefined;
}
