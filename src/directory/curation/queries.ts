import type { Db } from '../../db/database.ts';

// Change requests, provider proposals, verification and revisions: the curators' records.

export interface ServiceCuration {
  id: string;
  organizationId: string | null;
  status: string;
  capacity: 'unknown' | 'taking_referrals' | 'waiting_list' | 'full';
  expectedWaitWeeks: number | null;
  lastVerifiedAt: Date | null;
  lastVerifiedBy: string | null;
  sourceFeed: string | null;
}

export async function findServiceCuration(db: Db, id: string): Promise<ServiceCuration | undefined> {
  const { rows } = await db.query<ServiceCuration>(
    `SELECT id, organization_id AS "organizationId", status, capacity, expected_wait_weeks AS "expectedWaitWeeks",
            last_verified_at AS "lastVerifiedAt", last_verified_by AS "lastVerifiedBy", source_feed AS "sourceFeed"
       FROM directory_service WHERE id = $1`,
    [id],
  );
  return rows[0];
}

/** Queues a public suggestion; the same one already open (sent twice) is returned, not repeated. */
export async function insertChangeRequest(db: Db, serviceId: string, r: { kind: string; details: string; replyEmail?: string }) {
  const params = [serviceId, r.kind, r.details, r.replyEmail ?? null];
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO directory_change_request (service_id, kind, details, reply_email) VALUES ($1, $2, $3, $4)
     ON CONFLICT (service_id, kind, md5(details), coalesce(reply_email, '')) WHERE status = 'open' AND kind IN ('suggestion', 'problem')
     DO NOTHING RETURNING id`,
    params,
  );
  if (rows[0]) return rows[0];
  const existing = await db.query<{ id: string }>(
    `SELECT id FROM directory_change_request
      WHERE status = 'open' AND service_id = $1 AND kind = $2 AND md5(details) = md5($3) AND coalesce(reply_email, '') = coalesce($4, '')`,
    params,
  );
  return existing.rows[0]!;
}

export interface ChangeRequestRow {
  id: string;
  /** Null for a proposed new service until it is accepted. */
  serviceId: string | null;
  serviceName: string;
  kind: 'suggestion' | 'problem' | 'edit' | 'new-service';
  details: string;
  replyEmail: string | null;
  status: string;
  decisionReason: string | null;
  createdAt: Date;
  /** A provider's proposal: the part changed and its checked value. */
  proposal: { section: string; value: unknown } | null;
  diff: Record<string, { from: string | null; to: string | null }> | null;
  proposedByOrganizationId: string | null;
}

const changeRequestSelect = `SELECT cr.id, cr.service_id AS "serviceId",
       coalesce(s.name, cr.proposal -> 'value' ->> 'name', 'A new service') AS "serviceName", cr.kind, cr.details,
       cr.reply_email AS "replyEmail", cr.status, cr.decision_reason AS "decisionReason", cr.created_at AS "createdAt",
       cr.proposal, cr.diff, cr.proposed_by_organization_id AS "proposedByOrganizationId"
  FROM directory_change_request cr LEFT JOIN directory_service s ON s.id = cr.service_id`;

export async function listOpenChangeRequests(db: Db): Promise<ChangeRequestRow[]> {
  const { rows } = await db.query<ChangeRequestRow>(`${changeRequestSelect} WHERE cr.status = 'open' ORDER BY cr.created_at, cr.id`);
  return rows;
}

export async function findChangeRequest(db: Db, id: string): Promise<ChangeRequestRow | undefined> {
  const { rows } = await db.query<ChangeRequestRow>(`${changeRequestSelect} WHERE cr.id = $1`, [id]);
  return rows[0];
}

/** A provider's proposed change to a service, or a proposed new service (no service id), for a curator to decide. */
export async function insertProposal(
  db: Db,
  p: {
    serviceId: string | null;
    kind: 'edit' | 'new-service';
    details: string;
    proposal: object;
    diff: object;
    proposedBy: string;
    organizationId: string | null;
  },
): Promise<{ id: string }> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO directory_change_request (service_id, kind, details, proposal, diff, proposed_by, proposed_by_organization_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [p.serviceId, p.kind, p.details, JSON.stringify(p.proposal), JSON.stringify(p.diff), p.proposedBy, p.organizationId],
  );
  return rows[0]!;
}

/** Open proposals a provider organisation has made, newest first, so its users see what awaits review. */
export async function listOpenProposalsOfOrganization(db: Db, organizationId: string): Promise<ChangeRequestRow[]> {
  const { rows } = await db.query<ChangeRequestRow>(
    `${changeRequestSelect} WHERE cr.status = 'open' AND cr.proposed_by_organization_id = $1 ORDER BY cr.created_at DESC, cr.id`,
    [organizationId],
  );
  return rows;
}

/** Records the service an accepted new-service proposal created. */
export async function setChangeRequestService(db: Db, id: string, serviceId: string) {
  await db.query('UPDATE directory_change_request SET service_id = $2 WHERE id = $1', [id, serviceId]);
}

export async function decideChangeRequest(db: Db, id: string, status: 'accepted' | 'rejected', reason: string | null, userId: string) {
  await db.query(
    `UPDATE directory_change_request SET status = $2, decision_reason = $3, decided_by = $4, decided_at = now() WHERE id = $1`,
    [id, status, reason, userId],
  );
}

export async function markVerified(db: Db, serviceId: string, userId: string, email: string) {
  await db.query(
    `UPDATE directory_service SET last_verified_at = now(), last_verified_by = $2, assured_date = current_date, assurer_email = $3
      WHERE id = $1`,
    [serviceId, userId, email],
  );
}

export async function updateCapacity(db: Db, serviceId: string, capacity: string, expectedWaitWeeks: number | null) {
  await db.query(`UPDATE directory_service SET capacity = $2, expected_wait_weeks = $3, last_modified = now() WHERE id = $1`, [
    serviceId,
    capacity,
    expectedWaitWeeks,
  ]);
}

export async function recordRevision(
  db: Db,
  r: { serviceId: string; userId: string | null; role: string | null; action: string; diff: object },
) {
  await db.query(
    `INSERT INTO directory_service_revision (service_id, changed_by, changed_by_role, action, diff) VALUES ($1, $2, $3, $4, $5)`,
    [r.serviceId, r.userId, r.role, r.action, JSON.stringify(r.diff)],
  );
}

export async function listRevisions(db: Db, serviceId: string) {
  const { rows } = await db.query<{
    action: string;
    diff: Record<string, { from: unknown; to: unknown }>;
    changedBy: string | null;
    changedAt: Date;
  }>(
    `SELECT action, diff, changed_by AS "changedBy", changed_at AS "changedAt" FROM directory_service_revision
      WHERE service_id = $1 ORDER BY id`,
    [serviceId],
  );
  return rows;
}

/** Active services not verified since `before`, oldest first. */
export async function listStaleServices(db: Db, before: Date, limit = 200) {
  const { rows } = await db.query<{ id: string; name: string; organizationName: string | null; lastVerifiedAt: Date | null }>(
    `SELECT s.id, s.name, o.name AS "organizationName", s.last_verified_at AS "lastVerifiedAt"
       FROM directory_service s LEFT JOIN directory_organization o ON o.id = s.organization_id
      WHERE s.status = 'active' AND (s.last_verified_at IS NULL OR s.last_verified_at < $1)
      ORDER BY s.last_verified_at NULLS FIRST, s.name LIMIT $2`,
    [before, limit],
  );
  return rows;
}

/** Active services of these organisations not verified since `before` (for freshness reminders). */
export async function listStaleServicesOfOrganizations(db: Db, organizationIds: string[], before: Date) {
  const { rows } = await db.query<{ id: string; name: string; organizationId: string; lastVerifiedAt: Date | null }>(
    `SELECT s.id, s.name, s.organization_id AS "organizationId", s.last_verified_at AS "lastVerifiedAt"
       FROM directory_service s
      WHERE s.organization_id = ANY($1::text[]) AND s.status = 'active' AND (s.last_verified_at IS NULL OR s.last_verified_at < $2)
      ORDER BY s.organization_id, s.name`,
    [organizationIds, before],
  );
  return rows;
}

export async function servicesOfOrganization(db: Db, organizationId: string) {
  const { rows } = await db.query<{ id: string; name: string; status: string; capacity: string }>(
    `SELECT id, name, status, capacity FROM directory_service WHERE organization_id = $1 ORDER BY name`,
    [organizationId],
  );
  return rows;
}

export async function setLastVerified(db: Db, serviceId: string, at: Date | null) {
  await db.query('UPDATE directory_service SET last_verified_at = $2 WHERE id = $1', [serviceId, at]);
}
