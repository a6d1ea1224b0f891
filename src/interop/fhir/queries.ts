import type { Db } from '../../db/database.ts';

// Which system sent which referral over FHIR (fhir_referral): a system sees, and may cancel, only
// the referrals it sent. The table also keeps when each last changed as the system sees it, so a
// search pages in order here; what the referrals hold is asked of the areas that own it
// (sent-referrals.ts).

export async function insertFhirReferral(
  db: Db,
  tenantId: string,
  referralId: string,
  clientId: string,
  identifiers: unknown[],
): Promise<void> {
  await db.query(`INSERT INTO fhir_referral (tenant_id, referral_id, client_id, identifiers) VALUES ($1, $2, $3, $4)`, [
    tenantId,
    referralId,
    clientId,
    JSON.stringify(identifiers),
  ]);
}

export interface SentReferral {
  referralId: string;
  /** ServiceRequest.identifier as the system gave it. */
  identifiers: { system?: string; value: string }[];
}

/** The referrals a system sent (only those with these ids, when given). */
export async function referralsSentBy(db: Db, tenantId: string, clientId: string, ids: string[] | null): Promise<SentReferral[]> {
  const { rows } = await db.query<SentReferral>(
    `SELECT referral_id AS "referralId", identifiers
       FROM fhir_referral
      WHERE tenant_id = $1 AND client_id = $2 AND ($3::uuid[] IS NULL OR referral_id = ANY($3::uuid[]))`,
    [tenantId, clientId, ids],
  );
  return rows;
}

/** Records that a referral changed as its sending system sees it (no-op for one no system sent). */
export async function touchSentReferral(db: Db, tenantId: string, referralId: string): Promise<void> {
  await db.query('UPDATE fhir_referral SET last_changed_at = greatest(last_changed_at, now()) WHERE tenant_id = $1 AND referral_id = $2', [
    tenantId,
    referralId,
  ]);
}

export interface SentReferralChange extends SentReferral {
  lastChanged: Date;
  total: number;
}

/**
 * A page of the referrals a system sent, least recently changed first, with the total matching:
 * only these ids when given (an empty list matches none), only those changed after `since`.
 */
export async function sentReferralChanges(
  db: Db,
  tenantId: string,
  clientId: string,
  filter: { ids: string[] | null; since: Date | null },
  limit: number,
  offset: number,
): Promise<SentReferralChange[]> {
  const { rows } = await db.query<SentReferralChange>(
    `SELECT referral_id AS "referralId", identifiers, last_changed_at AS "lastChanged", count(*) OVER ()::int AS total
       FROM fhir_referral
      WHERE tenant_id = $1 AND client_id = $2
        AND ($3::uuid[] IS NULL OR referral_id = ANY($3::uuid[]))
        AND ($4::timestamptz IS NULL OR last_changed_at > $4::timestamptz)
      ORDER BY last_changed_at, referral_id
      LIMIT $5 OFFSET $6`,
    [tenantId, clientId, filter.ids, filter.since, limit, offset],
  );
  return rows;
}
