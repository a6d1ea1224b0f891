import { bulkInsert, bulkTable, type BulkRow } from '../db/bulk-insert.ts';
import type { Db } from '../db/database.ts';
import type { PersonInput } from './schema.ts';

// Every statement for people, their consents and merged records. Each runs inside withTenant
// (row-level security) and also names the tenant, so a query is right even where security is
// bypassed (the owner role).

export interface PersonRow extends PersonInput {
  id: string;
  tenantId: string;
  deprivationDecile: number | null;
  mergedIntoId: string | null;
  /** Made from a held referral's submitted details; a lead has not yet said whose referral it is. */
  awaitingMatch: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  practiceName: string | null;
}

const PERSON_COLUMNS = `p.id, p.tenant_id AS "tenantId", p.nhs_number AS "nhsNumber", p.given_name AS "givenName", p.family_name AS "familyName",
  p.preferred_name AS "preferredName", p.date_of_birth AS "dateOfBirth", p.sex, p.gender_identity AS "genderIdentity", p.ethnicity,
  p.postcode, p.deprivation_decile AS "deprivationDecile", p.address, p.phone, p.email, p.contact_channels AS "contactChannels",
  p.safe_to_leave_message AS "safeToLeaveMessage", p.interpreter_language AS "interpreterLanguage", p.large_print AS "largePrint",
  p.easy_read AS "easyRead", p.bsl, p.other_communication_needs AS "otherCommunicationNeeds", p.practice_id AS "practiceId",
  p.merged_into_id AS "mergedIntoId", p.awaiting_match AS "awaitingMatch", p.version, p.created_at AS "createdAt", p.updated_at AS "updatedAt", pr.name AS "practiceName"`;

function personValues(p: PersonInput, deprivationDecile: number | null) {
  return [
    p.nhsNumber,
    p.givenName,
    p.familyName,
    p.preferredName,
    p.dateOfBirth,
    p.sex,
    p.genderIdentity,
    p.ethnicity,
    p.postcode,
    deprivationDecile,
    p.address,
    p.phone,
    p.email,
    p.contactChannels,
    p.safeToLeaveMessage,
    p.interpreterLanguage,
    p.largePrint,
    p.easyRead,
    p.bsl,
    p.otherCommunicationNeeds,
    p.practiceId,
  ];
}

export async function insertPerson(
  db: Db,
  tenantId: string,
  p: PersonInput,
  deprivationDecile: number | null,
  awaitingMatch = false,
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO person (tenant_id, nhs_number, given_name, family_name, preferred_name, date_of_birth, sex, gender_identity, ethnicity,
       postcode, deprivation_decile, address, phone, email, contact_channels, safe_to_leave_message, interpreter_language, large_print,
       easy_read, bsl, other_communication_needs, practice_id, awaiting_match)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
     RETURNING id`,
    [tenantId, ...personValues(p, deprivationDecile), awaitingMatch],
  );
  return rows[0]!.id;
}

/** Updates only when the version is the one the editor opened; returns the new version or undefined. */
export async function updatePerson(
  db: Db,
  tenantId: string,
  id: string,
  version: number,
  p: PersonInput,
  deprivationDecile: number | null,
): Promise<number | undefined> {
  const { rows } = await db.query<{ version: number }>(
    `UPDATE person SET nhs_number = $4, given_name = $5, family_name = $6, preferred_name = $7, date_of_birth = $8, sex = $9,
       gender_identity = $10, ethnicity = $11, postcode = $12, deprivation_decile = $13, address = $14, phone = $15, email = $16,
       contact_channels = $17, safe_to_leave_message = $18, interpreter_language = $19, large_print = $20, easy_read = $21, bsl = $22,
       other_communication_needs = $23, practice_id = $24, version = version + 1, updated_at = now()
     WHERE tenant_id = $1 AND id = $2 AND version = $3 AND merged_into_id IS NULL
     RETURNING version`,
    [tenantId, id, version, ...personValues(p, deprivationDecile)],
  );
  return rows[0]?.version;
}

export async function findPerson(db: Db, tenantId: string, id: string): Promise<PersonRow | undefined> {
  const { rows } = await db.query<PersonRow>(
    `SELECT ${PERSON_COLUMNS} FROM person p LEFT JOIN practice pr ON pr.tenant_id = p.tenant_id AND pr.id = p.practice_id
      WHERE p.tenant_id = $1 AND p.id = $2`,
    [tenantId, id],
  );
  return rows[0];
}

/** Of these people, the live records (or the one with this id or NHS number), oldest first, a page at a time with the total. */
export async function livePeoplePage(
  db: Db,
  tenantId: string,
  personIds: string[],
  f: { id: string | null; nhsNumber: string | null },
  limit: number,
  offset: number,
): Promise<(PersonRow & { total: number })[]> {
  const { rows } = await db.query<PersonRow & { total: number }>(
    `SELECT ${PERSON_COLUMNS}, count(*) OVER ()::int AS total
       FROM person p LEFT JOIN practice pr ON pr.tenant_id = p.tenant_id AND pr.id = p.practice_id
      WHERE p.tenant_id = $1 AND p.id = ANY($2::uuid[]) AND p.merged_into_id IS NULL
        AND ($3::uuid IS NULL OR p.id = $3::uuid)
        AND ($4::text IS NULL OR p.nhs_number = $4::text)
      ORDER BY p.created_at, p.id
      LIMIT $5 OFFSET $6`,
    [tenantId, personIds, f.id, f.nhsNumber, limit, offset],
  );
  return rows;
}

export async function findLivePersonByNhsNumber(db: Db, tenantId: string, nhsNumber: string): Promise<{ id: string } | undefined> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM person WHERE tenant_id = $1 AND nhs_number = $2 AND merged_into_id IS NULL',
    [tenantId, nhsNumber],
  );
  return rows[0];
}

export interface DuplicateCandidate {
  id: string;
  nhsNumber: string | null;
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  postcode: string | null;
  matchedOn: 'nhs_number' | 'name_and_date_of_birth';
  similarity: number;
}

/**
 * Live records that are probably the same person: the same NHS number, or the same date of birth
 * and a name close enough by trigram similarity (catches "Jon Smyth" for "John Smith"). Records
 * made from held referrals are left out: nobody has confirmed who they are yet.
 */
export async function findDuplicates(
  db: Db,
  tenantId: string,
  p: { nhsNumber: string | null; givenName: string; familyName: string; dateOfBirth: string },
  threshold: number,
): Promise<DuplicateCandidate[]> {
  const { rows } = await db.query<DuplicateCandidate>(
    `SELECT id, nhs_number AS "nhsNumber", given_name AS "givenName", family_name AS "familyName", date_of_birth AS "dateOfBirth", postcode,
            CASE WHEN $2::text IS NOT NULL AND nhs_number = $2 THEN 'nhs_number' ELSE 'name_and_date_of_birth' END AS "matchedOn",
            similarity(lower(given_name || ' ' || family_name), lower($3)) AS similarity
       FROM person
      WHERE tenant_id = $1 AND merged_into_id IS NULL AND NOT awaiting_match
        AND (($2::text IS NOT NULL AND nhs_number = $2)
          OR (date_of_birth = $4::date AND similarity(lower(given_name || ' ' || family_name), lower($3)) >= $5))
      ORDER BY ($2::text IS NOT NULL AND nhs_number = $2) DESC, similarity DESC
      LIMIT 10`,
    [tenantId, p.nhsNumber, `${p.givenName} ${p.familyName}`, p.dateOfBirth, threshold],
  );
  return rows;
}

/** Every consent of one person moved to another (a merge of two records of the same person). */
export async function moveConsents(db: Db, tenantId: string, fromPersonId: string, toPersonId: string): Promise<number> {
  const { rowCount } = await db.query('UPDATE consent SET person_id = $3 WHERE tenant_id = $1 AND person_id = $2', [
    tenantId,
    fromPersonId,
    toPersonId,
  ]);
  return rowCount ?? 0;
}

export async function markMerged(db: Db, tenantId: string, personId: string, intoId: string): Promise<void> {
  await db.query('UPDATE person SET merged_into_id = $3, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    personId,
    intoId,
  ]);
}

export async function setNhsNumberIfMissing(db: Db, tenantId: string, personId: string, nhsNumber: string): Promise<void> {
  await db.query('UPDATE person SET nhs_number = $3, version = version + 1 WHERE tenant_id = $1 AND id = $2 AND nhs_number IS NULL', [
    tenantId,
    personId,
    nhsNumber,
  ]);
}

/** A held record confirmed as a new person: it takes its NHS number (or none) and joins the live records. */
export async function confirmNewPerson(db: Db, tenantId: string, personId: string, nhsNumber: string | null): Promise<void> {
  await db.query(
    'UPDATE person SET nhs_number = $3, awaiting_match = false, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2',
    [tenantId, personId, nhsNumber],
  );
}

/** A held record found to be an existing person: kept (with the consents given in the submission) for the trail, merged into theirs. */
export async function mergeHeldPerson(db: Db, tenantId: string, personId: string, intoId: string): Promise<void> {
  await db.query(
    'UPDATE person SET merged_into_id = $3, awaiting_match = false, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2',
    [tenantId, personId, intoId],
  );
}

/** This record and every record merged into it (directly or through a chain of merges). */
export async function mergedPersonIds(db: Db, tenantId: string, personId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `WITH RECURSIVE merged AS (
       SELECT id FROM person WHERE tenant_id = $1 AND id = $2
       UNION SELECT p.id FROM person p JOIN merged m ON p.merged_into_id = m.id WHERE p.tenant_id = $1)
     SELECT id FROM merged`,
    [tenantId, personId],
  );
  return rows.map((r) => r.id);
}

export interface ConsentRow {
  id: string;
  personId: string;
  referralId: string | null;
  kind: 'refer' | 'share' | 'contact' | 'research';
  recordedAt: Date;
  recordedByName: string | null;
  recordedByDescription: string | null;
  withdrawnAt: Date | null;
  withdrawnByName: string | null;
  withdrawnReason: string | null;
}

export async function insertConsent(
  db: Db,
  tenantId: string,
  c: { personId: string; referralId: string | null; kind: string; recordedBy: string | null; recordedByDescription: string | null },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO consent (tenant_id, person_id, referral_id, kind, recorded_by, recorded_by_description) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [tenantId, c.personId, c.referralId, c.kind, c.recordedBy, c.recordedByDescription],
  );
  return rows[0]!.id;
}

export async function consentsOf(db: Db, tenantId: string, personId: string): Promise<ConsentRow[]> {
  const { rows } = await db.query<ConsentRow>(
    `SELECT c.id, c.person_id AS "personId", c.referral_id AS "referralId", c.kind, c.recorded_at AS "recordedAt", u.name AS "recordedByName",
            c.recorded_by_description AS "recordedByDescription", c.withdrawn_at AS "withdrawnAt", w.name AS "withdrawnByName",
            c.withdrawn_reason AS "withdrawnReason"
       FROM consent c LEFT JOIN app_user u ON u.id = c.recorded_by LEFT JOIN app_user w ON w.id = c.withdrawn_by
      WHERE c.tenant_id = $1 AND c.person_id = $2 ORDER BY c.recorded_at DESC`,
    [tenantId, personId],
  );
  return rows;
}

/** Whether the person has a consent of this kind that has not been withdrawn. */
export async function hasActiveConsent(db: Db, tenantId: string, personId: string, kind: string): Promise<boolean> {
  const { rows } = await db.query(
    'SELECT 1 FROM consent WHERE tenant_id = $1 AND person_id = $2 AND kind = $3 AND withdrawn_at IS NULL LIMIT 1',
    [tenantId, personId, kind],
  );
  return rows.length > 0;
}

/**
 * After `consentId` was withdrawn: if it was consent to research, withdraws every other research
 * consent of the person still active (merged records can bring two), so no copy keeps them in.
 */
export async function withdrawOtherResearchConsents(
  db: Db,
  tenantId: string,
  personId: string,
  consentId: string,
  userId: string,
  reason: string | null,
): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE consent SET withdrawn_at = now(), withdrawn_by = $4, withdrawn_reason = $5
      WHERE tenant_id = $1 AND person_id = $2 AND kind = 'research' AND withdrawn_at IS NULL
        AND EXISTS (SELECT 1 FROM consent w WHERE w.tenant_id = $1 AND w.id = $3 AND w.kind = 'research')`,
    [tenantId, personId, consentId, userId, reason],
  );
  return rowCount ?? 0;
}

export async function withdrawConsent(
  db: Db,
  tenantId: string,
  consentId: string,
  personId: string,
  userId: string,
  reason: string | null,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE consent SET withdrawn_at = now(), withdrawn_by = $4, withdrawn_reason = $5
      WHERE tenant_id = $1 AND id = $2 AND person_id = $3 AND withdrawn_at IS NULL`,
    [tenantId, consentId, personId, userId, reason],
  );
  return (rowCount ?? 0) > 0;
}

export async function practicesOf(db: Db, tenantId: string): Promise<{ id: string; name: string; odsCode: string }[]> {
  const { rows } = await db.query<{ id: string; name: string; odsCode: string }>(
    'SELECT id, name, ods_code AS "odsCode" FROM practice WHERE tenant_id = $1 ORDER BY name',
    [tenantId],
  );
  return rows;
}

export async function personContact(db: Db, tenantId: string, personId: string): Promise<PersonContact | undefined> {
  const { rows } = await db.query<PersonContact>(
    `SELECT p.email, p.phone, p.contact_channels AS "contactChannels",
            EXISTS (SELECT 1 FROM consent c WHERE c.tenant_id = p.tenant_id AND c.person_id = p.id AND c.kind IN ('contact', 'refer')
                      AND c.withdrawn_at IS NOT NULL) AS "contactWithdrawn"
       FROM person p WHERE p.tenant_id = $1 AND p.id = $2`,
    [tenantId, personId],
  );
  return rows[0];
}

export interface PersonContact {
  email: string | null;
  phone: string | null;
  contactChannels: string[];
  /** A consent to contact or to refer that was withdrawn. */
  contactWithdrawn: boolean;
}

// Bulk loading for the demo and the benchmark: one statement per table per chunk
// (src/db/bulk-insert.ts).

const PEOPLE_IN_BULK = bulkTable('person', {
  tenant_id: 'uuid',
  id: 'uuid',
  nhs_number: 'text?',
  given_name: 'text',
  family_name: 'text',
  date_of_birth: 'date',
  sex: 'text?',
  ethnicity: 'text?',
  postcode: 'text?',
  deprivation_decile: 'int?',
  phone: 'text?',
  email: 'text?',
  // Channels travel comma-joined; none is an empty list, not a list holding an empty name.
  contact_channels: {
    type: 'text',
    as: "CASE WHEN contact_channels = '' THEN '{}'::text[] ELSE string_to_array(contact_channels, ',') END",
  },
  practice_id: 'uuid?',
  created_at: 'timestamptz',
  updated_at: { as: 'created_at' },
});

const CONSENTS_IN_BULK = bulkTable('consent', {
  tenant_id: 'uuid',
  person_id: 'uuid',
  referral_id: 'uuid',
  kind: 'text',
  recorded_at: { type: 'timestamptz', field: 'at' },
  recorded_by: 'uuid?',
  recorded_by_description: { type: 'text?', field: 'description' },
});

export type BulkPerson = BulkRow<typeof PEOPLE_IN_BULK>;
export type BulkConsent = BulkRow<typeof CONSENTS_IN_BULK>;

export const bulkInsertPeople = (db: Db, rows: BulkPerson[]) => bulkInsert(db, PEOPLE_IN_BULK, rows);
export const bulkInsertConsents = (db: Db, rows: BulkConsent[]) => bulkInsert(db, CONSENTS_IN_BULK, rows);
