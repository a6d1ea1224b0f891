import type { Db } from '../../db/database.ts';
import type { DischargeDocument } from '../../discharge/service.ts';

export type GpRecordState = 'queued' | 'sending' | 'sent' | 'delivered' | 'accepted' | 'rejected' | 'failed' | 'not_sent';

export interface GpRecordMessageRow {
  id: string;
  dischargeId: string;
  referralId: string;
  trackingId: string;
  state: GpRecordState;
  practiceOdsCode: string | null;
  practiceName: string | null;
  toMailbox: string | null;
  meshMessageId: string | null;
  attempts: number;
  reason: string | null;
  createdAt: Date;
  sentAt: Date | null;
  updatedAt: Date;
}

/** A message's columns, read from `gp_record_message m`. */
const COLUMNS = `m.id, m.discharge_id AS "dischargeId", m.referral_id AS "referralId", m.tracking_id AS "trackingId", m.state,
  m.practice_ods_code AS "practiceOdsCode", m.practice_name AS "practiceName", m.to_mailbox AS "toMailbox",
  m.mesh_message_id AS "meshMessageId", m.attempts, m.reason, m.created_at AS "createdAt", m.sent_at AS "sentAt", m.updated_at AS "updatedAt"`;

/** The person's registered practice (else the practice the referral came from), with its MESH mailbox. */
export async function recipientOfReferral(db: Db, tenantId: string, referralId: string) {
  const { rows } = await db.query<{
    nhsNumber: string | null;
    odsCode: string | null;
    practiceName: string | null;
    mailbox: string | null;
  }>(
    `SELECT p.nhs_number AS "nhsNumber", pr.ods_code AS "odsCode", pr.name AS "practiceName", pr.mesh_mailbox_id AS mailbox
       FROM referral r
       JOIN person p ON p.tenant_id = r.tenant_id AND p.id = r.person_id
       LEFT JOIN practice pr ON pr.tenant_id = r.tenant_id AND pr.id = COALESCE(p.practice_id, r.practice_id)
      WHERE r.tenant_id = $1 AND r.id = $2`,
    [tenantId, referralId],
  );
  return rows[0];
}

export async function insertMessage(
  db: Db,
  tenantId: string,
  m: {
    dischargeId: string;
    referralId: string;
    state: GpRecordState;
    reason: string | null;
    practiceOdsCode: string | null;
    practiceName: string | null;
    toMailbox: string | null;
  },
): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO gp_record_message (tenant_id, discharge_id, referral_id, state, reason, practice_ods_code, practice_name, to_mailbox)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (tenant_id, discharge_id) DO NOTHING RETURNING id`,
    [tenantId, m.dischargeId, m.referralId, m.state, m.reason, m.practiceOdsCode, m.practiceName, m.toMailbox],
  );
  return rows[0]?.id;
}

/** A message and everything its ITK3 message is built from, locked for the sender. */
export async function lockMessageForSending(db: Db, tenantId: string, id: string) {
  const { rows } = await db.query<
    GpRecordMessageRow & {
      document: DischargeDocument;
      givenName: string;
      familyName: string;
      nhsNumber: string | null;
      dateOfBirth: string;
      sex: string | null;
      tenantName: string;
    }
  >(
    `SELECT ${COLUMNS}, d.document, p.given_name AS "givenName", p.family_name AS "familyName", p.nhs_number AS "nhsNumber",
            to_char(p.date_of_birth, 'YYYY-MM-DD') AS "dateOfBirth", p.sex, t.name AS "tenantName"
       FROM gp_record_message m
       JOIN discharge d ON d.tenant_id = m.tenant_id AND d.id = m.discharge_id
       JOIN referral r ON r.tenant_id = m.tenant_id AND r.id = m.referral_id
       JOIN person p ON p.tenant_id = r.tenant_id AND p.id = r.person_id
       JOIN tenant t ON t.id = m.tenant_id
      WHERE m.tenant_id = $1 AND m.id = $2
      FOR UPDATE OF m`,
    [tenantId, id],
  );
  return rows[0];
}

export async function updateMessage(
  db: Db,
  tenantId: string,
  id: string,
  change: {
    state: GpRecordState;
    reason?: string | null;
    meshMessageId?: string;
    countAttempt?: boolean;
    sentAt?: Date;
  },
): Promise<void> {
  await db.query(
    `UPDATE gp_record_message
        SET state = $3, reason = $4, mesh_message_id = COALESCE($5, mesh_message_id), attempts = attempts + $6,
            sent_at = COALESCE($7, sent_at), updated_at = now()
      WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, change.state, change.reason ?? null, change.meshMessageId ?? null, change.countAttempt ? 1 : 0, change.sentAt ?? null],
  );
}

/** Which tenant sent the message with this tracking id (before any tenant is set). */
export async function tenantOfTracking(db: Db, trackingId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ tenantId: string | null }>('SELECT gp_record_message_tenant($1::uuid) AS "tenantId"', [trackingId]);
  return rows[0]?.tenantId ?? undefined;
}

export async function lockMessageByTracking(db: Db, tenantId: string, trackingId: string): Promise<GpRecordMessageRow | undefined> {
  const { rows } = await db.query<GpRecordMessageRow>(
    `SELECT ${COLUMNS} FROM gp_record_message m WHERE m.tenant_id = $1 AND m.tracking_id = $2 FOR UPDATE`,
    [tenantId, trackingId],
  );
  return rows[0];
}

export async function insertAcknowledgement(
  db: Db,
  tenantId: string,
  a: {
    messageId: string;
    meshMessageId: string;
    kind: 'infrastructure' | 'business';
    responseCode: string;
    itkCode: string | null;
    reason: string | null;
  },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO gp_record_acknowledgement (tenant_id, message_id, mesh_message_id, kind, response_code, itk_code, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, mesh_message_id) DO NOTHING`,
    [tenantId, a.messageId, a.meshMessageId, a.kind, a.responseCode, a.itkCode, a.reason],
  );
  return (rowCount ?? 0) > 0;
}

export interface AcknowledgementRow {
  kind: 'infrastructure' | 'business';
  responseCode: string;
  itkCode: string | null;
  reason: string | null;
  receivedAt: Date;
}

export async function messageOfReferral(
  db: Db,
  tenantId: string,
  referralId: string,
): Promise<(GpRecordMessageRow & { acknowledgements: AcknowledgementRow[] }) | undefined> {
  const { rows } = await db.query<GpRecordMessageRow>(
    `SELECT ${COLUMNS} FROM gp_record_message m WHERE m.tenant_id = $1 AND m.referral_id = $2 ORDER BY m.created_at DESC LIMIT 1`,
    [tenantId, referralId],
  );
  const message = rows[0];
  if (!message) return undefined;
  const acks = await db.query<AcknowledgementRow>(
    `SELECT kind, response_code AS "responseCode", itk_code AS "itkCode", reason, received_at AS "receivedAt"
       FROM gp_record_acknowledgement WHERE tenant_id = $1 AND message_id = $2 ORDER BY received_at, id`,
    [tenantId, message.id],
  );
  return { ...message, acknowledgements: acks.rows };
}

export async function lockMessageOfReferral(db: Db, tenantId: string, referralId: string): Promise<GpRecordMessageRow | undefined> {
  const { rows } = await db.query<GpRecordMessageRow>(
    `SELECT ${COLUMNS} FROM gp_record_message m WHERE m.tenant_id = $1 AND m.referral_id = $2 FOR UPDATE`,
    [tenantId, referralId],
  );
  return rows[0];
}

export async function updateRecipient(
  db: Db,
  tenantId: string,
  id: string,
  r: { practiceOdsCode: string | null; practiceName: string | null; toMailbox: string | null },
): Promise<void> {
  await db.query(
    `UPDATE gp_record_message SET practice_ods_code = $3, practice_name = $4, to_mailbox = $5, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, r.practiceOdsCode, r.practiceName, r.toMailbox],
  );
}

export async function dischargeIdOfReferral(db: Db, tenantId: string, referralId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM discharge WHERE tenant_id = $1 AND referral_id = $2', [
    tenantId,
    referralId,
  ]);
  return rows[0]?.id;
}
