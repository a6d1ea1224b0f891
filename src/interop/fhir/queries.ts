import type { Db } from '../../db/database.ts';

// Which system sent which referral over FHIR (fhir_referral): a system sees, and may cancel, only
// the referrals it sent. What those referrals hold is asked of the areas that own it
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
