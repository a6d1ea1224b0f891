import { bulkInsert, bulkTable, type BulkRow } from '../db/bulk-insert.ts';
import type { Db } from '../db/database.ts';
import type { DischargeDocument } from './document.ts';

export interface DischargeRow {
  id: string;
  referralId: string;
  reason: string;
  summary: string;
  document: DischargeDocument;
  dischargedAt: Date;
}

const COLUMNS = `id, referral_id AS "referralId", reason, summary, document, discharged_at AS "dischargedAt"`;

export async function insertDischarge(
  db: Db,
  tenantId: string,
  d: {
    referralId: string;
    reason: string;
    reasonNote: string | null;
    summary: string;
    outcomes: unknown;
    document: DischargeDocument;
    userId: string;
  },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO discharge (tenant_id, referral_id, reason, reason_note, summary, outcomes, document, discharged_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [tenantId, d.referralId, d.reason, d.reasonNote, d.summary, JSON.stringify(d.outcomes), JSON.stringify(d.document), d.userId],
  );
  return rows[0]!.id;
}

export async function findDischarge(db: Db, tenantId: string, id: string): Promise<DischargeRow | undefined> {
  const { rows } = await db.query<DischargeRow>(`SELECT ${COLUMNS} FROM discharge WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  return rows[0];
}

export async function dischargesOf(db: Db, tenantId: string, referralIds: string[]): Promise<DischargeRow[]> {
  const { rows } = await db.query<DischargeRow>(
    `SELECT ${COLUMNS} FROM discharge WHERE tenant_id = $1 AND referral_id = ANY($2::uuid[]) ORDER BY discharged_at DESC`,
    [tenantId, referralIds],
  );
  return rows;
}

/** The discharges of these referrals (or the one with this id among them), oldest first, a page at a time with the total. */
export async function dischargesPage(
  db: Db,
  tenantId: string,
  referralIds: string[],
  id: string | null,
  limit: number,
  offset: number,
): Promise<(DischargeRow & { total: number })[]> {
  const { rows } = await db.query<DischargeRow & { total: number }>(
    `SELECT ${COLUMNS}, count(*) OVER ()::int AS total
       FROM discharge
      WHERE tenant_id = $1 AND referral_id = ANY($2::uuid[]) AND ($3::uuid IS NULL OR id = $3::uuid)
      ORDER BY discharged_at, id
      LIMIT $4 OFFSET $5`,
    [tenantId, referralIds, id, limit, offset],
  );
  return rows;
}

// Demo and benchmark data only: fictional discharges for generated referrals, written in bulk.

const DISCHARGES_IN_BULK = bulkTable('discharge', {
  tenant_id: 'uuid',
  referral_id: 'uuid',
  reason: 'text',
  summary: { as: "'Support ended (demo).'" },
  document: { as: "'{}'::jsonb" },
  discharged_by: { type: 'uuid?', field: 'by' },
  discharged_at: { type: 'timestamptz', field: 'at' },
});

export type BulkDischarge = BulkRow<typeof DISCHARGES_IN_BULK>;

export const bulkInsertDischarges = (db: Db, rows: BulkDischarge[]) => bulkInsert(db, DISCHARGES_IN_BULK, rows);
