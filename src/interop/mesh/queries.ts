import type { Db } from '../../db/database.ts';

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

// A message is found by its id, by the tracking id its acknowledgements carry, or by its referral
// (a discharge, and so a message, per referral).
const MESSAGE_KEYS = { id: 'm.id', trackingId: 'm.tracking_id', referralId: 'm.referral_id' } as const;

/** A message, locked until the transaction ends. */
export async function lockMessage(
  db: Db,
  tenantId: string,
  by: keyof typeof MESSAGE_KEYS,
  value: string,
): Promise<GpRecordMessageRow | undefined> {
  const { rows } = await db.query<GpRecordMessageRow>(
    `SELECT ${COLUMNS} FROM gp_record_message m WHERE m.tenant_id = $1 AND ${MESSAGE_KEYS[by]} = $2 FOR UPDATE`,
    [tenantId, value],
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
