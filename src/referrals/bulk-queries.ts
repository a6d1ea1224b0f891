import type { Db } from '../db/database.ts';

// Bulk loading of referrals for the demo and the benchmark: one statement per table per chunk,
// through unnest. Array columns travel as comma-joined text and are split in SQL.

const column = <T, K extends keyof T>(rows: T[], key: K) => rows.map((r) => r[key]);

export interface BulkReferral {
  tenantId: string;
  id: string;
  reference: string;
  personId: string;
  source: string;
  channel: string;
  referrerUserId: string | null;
  practiceId: string | null;
  reasons: string;
  context: string | null;
  urgency: string;
  status: string;
  assignedTo: string | null;
  nextAction: string | null;
  nextActionDue: string | null;
  notSuitableReason: string | null;
  redirectedTo: string | null;
  receivedAt: Date;
  statusChangedAt: Date;
}

export interface BulkTransition {
  tenantId: string;
  referralId: string;
  from: string | null;
  to: string;
  at: Date;
  byUserId: string | null;
  reason: string | null;
}

export interface BulkAllocation {
  tenantId: string;
  referralId: string;
  linkWorkerId: string;
  allocatedBy: string | null;
  at: Date;
}

export interface BulkContact {
  tenantId: string;
  referralId: string;
  outcome: string;
  mode: string;
  minutes: number | null;
  approach: string | null;
  at: Date;
  recordedBy: string | null;
}

export async function bulkInsertReferrals(db: Db, rows: BulkReferral[]): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `INSERT INTO referral (tenant_id, id, reference, person_id, source, channel, referrer_user_id, practice_id, reasons, context, urgency, consent_to_refer,
       consent_to_share, status, assigned_to, next_action, next_action_due, not_suitable_reason, redirected_to, received_at, status_changed_at)
     SELECT t, i, ref, p, s, ch, ru, pr, string_to_array(rs, ','), cx, u, true, true, st, a, na, nd::date, ns, rd, ra, sc
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::uuid[], $8::uuid[], $9::text[], $10::text[], $11::text[],
                   $12::text[], $13::uuid[], $14::text[], $15::text[], $16::text[], $17::text[], $18::timestamptz[], $19::timestamptz[])
            AS x(t, i, ref, p, s, ch, ru, pr, rs, cx, u, st, a, na, nd, ns, rd, ra, sc)`,
    [
      column(rows, 'tenantId'),
      column(rows, 'id'),
      column(rows, 'reference'),
      column(rows, 'personId'),
      column(rows, 'source'),
      column(rows, 'channel'),
      column(rows, 'referrerUserId'),
      column(rows, 'practiceId'),
      column(rows, 'reasons'),
      column(rows, 'context'),
      column(rows, 'urgency'),
      column(rows, 'status'),
      column(rows, 'assignedTo'),
      column(rows, 'nextAction'),
      column(rows, 'nextActionDue'),
      column(rows, 'notSuitableReason'),
      column(rows, 'redirectedTo'),
      column(rows, 'receivedAt'),
      column(rows, 'statusChangedAt'),
    ],
  );
}

export async function bulkInsertTransitions(db: Db, rows: BulkTransition[]): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `INSERT INTO referral_transition (tenant_id, referral_id, from_status, to_status, occurred_at, by_user_id, reason)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::uuid[], $7::text[])`,
    [
      column(rows, 'tenantId'),
      column(rows, 'referralId'),
      column(rows, 'from'),
      column(rows, 'to'),
      column(rows, 'at'),
      column(rows, 'byUserId'),
      column(rows, 'reason'),
    ],
  );
}

export async function bulkInsertAllocations(db: Db, rows: BulkAllocation[]): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `INSERT INTO referral_allocation (tenant_id, referral_id, link_worker_id, allocated_by, allocated_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::timestamptz[])`,
    [column(rows, 'tenantId'), column(rows, 'referralId'), column(rows, 'linkWorkerId'), column(rows, 'allocatedBy'), column(rows, 'at')],
  );
}

export async function bulkInsertContacts(db: Db, rows: BulkContact[]): Promise<void> {
  if (!rows.length) return;
  await db.query(
    `INSERT INTO contact (tenant_id, referral_id, outcome, mode, minutes, approach, occurred_at, recorded_by, created_at)
     SELECT t, r, o, m, mi, ap, at, rb, at FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[], $7::timestamptz[], $8::uuid[])
       AS x(t, r, o, m, mi, ap, at, rb)`,
    [
      column(rows, 'tenantId'),
      column(rows, 'referralId'),
      column(rows, 'outcome'),
      column(rows, 'mode'),
      column(rows, 'minutes'),
      column(rows, 'approach'),
      column(rows, 'at'),
      column(rows, 'recordedBy'),
    ],
  );
}
