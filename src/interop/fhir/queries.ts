import type { Db } from '../../db/database.ts';
import type { DischargeDocument } from '../../discharge/document.ts';
import type { DischargeForFhir, OnwardForFhir, PersonForFhir, ReferralForFhir } from './mapping.ts';

// The FHIR read model: what a system may see of the referrals it sent. These read the referral,
// person, onward referral and discharge tables directly, read-only, scoped to the tenant and to
// the sending system (fhir_referral), because the other areas' services are written for signed-in
// staff and would audit and authorise a person, not a system. Writes go through those services.

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

export interface ReferralFilter {
  ids?: string[] | null;
  updatedAfter?: Date | null;
  personId?: string | null;
  reference?: string | null;
}

type ReferralFhirRow = ReferralForFhir & { total: number };

const LAST_UPDATED = 'greatest(r.status_changed_at, o.last_changed, d.discharged_at)';

/** The referrals a system sent, oldest change first, with the total matching. */
export async function referralsOfClient(
  db: Db,
  tenantId: string,
  clientId: string,
  f: ReferralFilter,
  limit: number,
  offset: number,
): Promise<ReferralFhirRow[]> {
  const { rows } = await db.query<ReferralFhirRow>(
    `SELECT r.id, r.reference, r.person_id AS "personId", p.given_name AS "givenName", p.family_name AS "familyName", r.status, r.reasons, r.context,
            r.urgency, r.consent_to_refer AS "consentToRefer", r.consent_to_share AS "consentToShare", r.referrer_name AS "referrerName",
            r.referrer_organisation AS "referrerOrganisation", r.received_at AS "receivedAt", f.identifiers, tn.name AS "tenantName",
            ${LAST_UPDATED} AS "lastUpdated",
            (SELECT t.reason FROM referral_transition t WHERE t.tenant_id = r.tenant_id AND t.referral_id = r.id
              ORDER BY t.occurred_at DESC, t.id DESC LIMIT 1) AS "statusReason",
            count(*) OVER ()::int AS total
       FROM fhir_referral f
       JOIN referral r ON r.tenant_id = f.tenant_id AND r.id = f.referral_id
       JOIN person p ON p.tenant_id = r.tenant_id AND p.id = r.person_id
       JOIN tenant tn ON tn.id = r.tenant_id
       LEFT JOIN LATERAL (SELECT max(x.status_changed_at) AS last_changed FROM onward_referral x
                           WHERE x.tenant_id = r.tenant_id AND x.referral_id = r.id AND x.status <> 'draft') o ON true
       LEFT JOIN discharge d ON d.tenant_id = r.tenant_id AND d.referral_id = r.id
      WHERE f.tenant_id = $1 AND f.client_id = $2
        AND ($3::uuid[] IS NULL OR r.id = ANY($3::uuid[]))
        AND ($4::timestamptz IS NULL OR ${LAST_UPDATED} > $4::timestamptz)
        AND ($5::uuid IS NULL OR r.person_id = $5::uuid)
        AND ($6::text IS NULL OR r.reference = $6::text)
      ORDER BY "lastUpdated", r.id
      LIMIT $7 OFFSET $8`,
    [tenantId, clientId, f.ids ?? null, f.updatedAfter ?? null, f.personId ?? null, f.reference ?? null, limit, offset],
  );
  return rows;
}

/** The ids of the referrals a system sent, optionally only these ids or this person's. */
export async function referralIdsOfClient(
  db: Db,
  tenantId: string,
  clientId: string,
  f: { ids?: string[] | null; personId?: string | null },
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT r.id
       FROM fhir_referral f
       JOIN referral r ON r.tenant_id = f.tenant_id AND r.id = f.referral_id
      WHERE f.tenant_id = $1 AND f.client_id = $2
        AND ($3::uuid[] IS NULL OR r.id = ANY($3::uuid[]))
        AND ($4::uuid IS NULL OR r.person_id = $4::uuid)`,
    [tenantId, clientId, f.ids ?? null, f.personId ?? null],
  );
  return rows.map((r) => r.id);
}

export async function onwardOf(db: Db, tenantId: string, referralIds: string[]): Promise<(OnwardForFhir & { referralId: string })[]> {
  const { rows } = await db.query<OnwardForFhir & { referralId: string }>(
    `SELECT id, referral_id AS "referralId", kind, service_id AS "serviceId", service_name AS "serviceName", organisation_name AS "organisationName", status, need
       FROM onward_referral WHERE tenant_id = $1 AND referral_id = ANY($2::uuid[]) AND status <> 'draft' ORDER BY created_at, id`,
    [tenantId, referralIds],
  );
  return rows;
}

export type DischargeFhirRow = Omit<DischargeForFhir, 'snomed' | 'title'> & { document: DischargeDocument; total: number };

export interface DischargeFilter {
  id?: string | null;
  personId?: string | null;
  referralIds?: string[] | null;
}

/** Discharge summaries of the referrals a system sent. */
export async function dischargesOfClient(
  db: Db,
  tenantId: string,
  clientId: string,
  f: DischargeFilter,
  limit: number,
  offset: number,
): Promise<DischargeFhirRow[]> {
  const { rows } = await db.query<DischargeFhirRow>(
    `SELECT d.id, d.referral_id AS "referralId", r.person_id AS "personId", d.discharged_at AS "dischargedAt", d.document, d.reason,
            count(*) OVER ()::int AS total
       FROM discharge d
       JOIN fhir_referral f ON f.tenant_id = d.tenant_id AND f.referral_id = d.referral_id
       JOIN referral r ON r.tenant_id = d.tenant_id AND r.id = d.referral_id
      WHERE d.tenant_id = $1 AND f.client_id = $2
        AND ($3::uuid IS NULL OR d.id = $3::uuid)
        AND ($4::uuid IS NULL OR r.person_id = $4::uuid)
        AND ($5::uuid[] IS NULL OR d.referral_id = ANY($5::uuid[]))
      ORDER BY d.discharged_at, d.id
      LIMIT $6 OFFSET $7`,
    [tenantId, clientId, f.id ?? null, f.personId ?? null, f.referralIds ?? null, limit, offset],
  );
  return rows;
}

export interface PatientFilter {
  id?: string | null;
  nhsNumber?: string | null;
}

/** People with at least one referral the system sent. */
export async function patientsOfClient(
  db: Db,
  tenantId: string,
  clientId: string,
  f: PatientFilter,
  limit: number,
  offset: number,
): Promise<(PersonForFhir & { total: number })[]> {
  const { rows } = await db.query<PersonForFhir & { total: number }>(
    `SELECT p.id, p.nhs_number AS "nhsNumber", p.given_name AS "givenName", p.family_name AS "familyName", p.preferred_name AS "preferredName",
            to_char(p.date_of_birth, 'YYYY-MM-DD') AS "dateOfBirth", p.sex, p.postcode, p.address, p.phone, p.email, p.updated_at AS "updatedAt",
            count(*) OVER ()::int AS total
       FROM person p
      WHERE p.tenant_id = $1 AND p.merged_into_id IS NULL
        AND EXISTS (SELECT 1 FROM fhir_referral f JOIN referral r ON r.tenant_id = f.tenant_id AND r.id = f.referral_id
                     WHERE f.tenant_id = p.tenant_id AND f.client_id = $2 AND r.person_id = p.id)
        AND ($3::uuid IS NULL OR p.id = $3::uuid)
        AND ($4::text IS NULL OR p.nhs_number = $4::text)
      ORDER BY p.created_at, p.id
      LIMIT $5 OFFSET $6`,
    [tenantId, clientId, f.id ?? null, f.nhsNumber ?? null, limit, offset],
  );
  return rows;
}
