import type { Db } from '../db/database.ts';

export type AppointmentMode = 'phone' | 'face_to_face' | 'home_visit' | 'video' | 'group';

export interface AppointmentRow {
  id: string;
  referralId: string;
  personId: string;
  startsAt: Date;
  mode: AppointmentMode;
  place: string | null;
  status: 'booked' | 'cancelled';
  bookedByName: string | null;
  bookedAt: Date;
  cancelledByName: string | null;
  cancelledAt: Date | null;
  cancelReason: string | null;
}

const COLUMNS = `a.id, a.referral_id AS "referralId", r.person_id AS "personId", a.starts_at AS "startsAt", a.mode, a.place, a.status,
  b.name AS "bookedByName", a.booked_at AS "bookedAt", c.name AS "cancelledByName", a.cancelled_at AS "cancelledAt",
  a.cancel_reason AS "cancelReason"`;
const FROM = `appointment a JOIN referral r ON r.tenant_id = a.tenant_id AND r.id = a.referral_id
  LEFT JOIN app_user b ON b.id = a.booked_by LEFT JOIN app_user c ON c.id = a.cancelled_by`;

/** A London wall-clock date and time (YYYY-MM-DD, HH:MM) as an instant, by the database's time zone rules. */
export async function londonInstant(db: Db, date: string, time: string): Promise<Date> {
  const { rows } = await db.query<{ at: Date }>(`SELECT ($1::date + $2::time) AT TIME ZONE 'Europe/London' AS at`, [date, time]);
  return rows[0]!.at;
}

export async function insertAppointment(
  db: Db,
  tenantId: string,
  a: {
    referralId: string;
    startsAt: Date;
    mode: AppointmentMode;
    place: string | null;
    bookedBy: string;
  },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO appointment (tenant_id, referral_id, starts_at, mode, place, booked_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [tenantId, a.referralId, a.startsAt, a.mode, a.place, a.bookedBy],
  );
  return rows[0]!.id;
}

export async function appointmentsOfReferral(db: Db, tenantId: string, referralId: string): Promise<AppointmentRow[]> {
  const { rows } = await db.query<AppointmentRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE a.tenant_id = $1 AND a.referral_id = $2 ORDER BY a.starts_at DESC`,
    [tenantId, referralId],
  );
  return rows;
}

export async function findAppointment(db: Db, tenantId: string, id: string): Promise<AppointmentRow | undefined> {
  const { rows } = await db.query<AppointmentRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE a.tenant_id = $1 AND a.id = $2`, [tenantId, id]);
  return rows[0];
}

/** Cancels a booked appointment; false when it was already cancelled. */
export async function cancelAppointment(db: Db, tenantId: string, id: string, by: string, reason: string | null): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE appointment SET status = 'cancelled', cancelled_by = $3, cancelled_at = now(), cancel_reason = $4
      WHERE tenant_id = $1 AND id = $2 AND status = 'booked'`,
    [tenantId, id, by, reason],
  );
  return rowCount === 1;
}

/** Appointments of these people, for the person page's timeline. */
export async function appointmentsOfPeople(db: Db, tenantId: string, personIds: string[]): Promise<AppointmentRow[]> {
  if (personIds.length === 0) return [];
  const { rows } = await db.query<AppointmentRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE a.tenant_id = $1 AND r.person_id = ANY ($2::uuid[]) ORDER BY a.booked_at`,
    [tenantId, personIds],
  );
  return rows;
}

export interface WorkerAppointmentRow extends AppointmentRow {
  reference: string;
  givenName: string;
  familyName: string;
}

/**
 * A link worker's appointments between two London dates (from inclusive, to exclusive): those on
 * referrals allocated to them and those they booked themselves.
 */
export async function appointmentsOfWorker(
  db: Db,
  tenantId: string,
  userId: string,
  from: string,
  to: string,
  options: { includeCancelled: boolean },
): Promise<WorkerAppointmentRow[]> {
  const { rows } = await db.query<WorkerAppointmentRow>(
    `SELECT ${COLUMNS}, r.reference, p.given_name AS "givenName", p.family_name AS "familyName"
       FROM ${FROM} JOIN person p ON p.tenant_id = r.tenant_id AND p.id = r.person_id
      WHERE a.tenant_id = $1 AND (r.assigned_to = $2 OR a.booked_by = $2)
        AND a.starts_at >= ($3::date::timestamp AT TIME ZONE 'Europe/London') AND a.starts_at < ($4::date::timestamp AT TIME ZONE 'Europe/London')
        AND ($5::boolean OR a.status = 'booked')
      ORDER BY a.starts_at, a.id`,
    [tenantId, userId, from, to, options.includeCancelled],
  );
  return rows;
}
