import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { setTenant, withTransaction } from '../db/transaction.ts';
import { InvalidInput, RuleBroken, type FieldError } from '../web/errors.ts';
import { ROLES, type Actor, type Role } from './actor.ts';
import { recordAudit } from './audit.ts';
import { newDeviceId, type KnownDevice } from './devices.ts';
import { checkNewPassword, hashPassword, verifyPassword } from './passwords.ts';
import * as q from './queries.ts';
import { createSession } from './sessions.ts';

export const LOCKOUT_FAILURES = 5;
export const LOCKOUT_SECONDS = 15 * 60;
/** Wrong passwords a browser the user signed in from before may make before it too is paused. */
export const KNOWN_DEVICE_FAILURES = 5;

/** Said for an unknown email and a wrong password alike. */
export const WRONG_CREDENTIALS = 'Enter a correct email address and password. After 5 wrong attempts sign-in is paused for 15 minutes.';
/** Said whether or not the email belongs to anyone. */
export const LOCKED_OUT =
  'There have been too many attempts to sign in with that email address. Wait 15 minutes and try again, or reset your password.';

const emailKey = (email: string) => createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
// A known device's failures are counted under a key of its own, apart from the address's.
const deviceKey = (email: string, deviceId: string) =>
  createHash('sha256')
    .update(`device\n${deviceId}\n${emailKey(email)}`)
    .digest('hex');

export function isEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) && value.length <= 254;
}

export type SignInOutcome =
  | { ok: true; userId: string; sessionToken: string; tenants: q.TenantChoice[]; deviceId: string }
  | { ok: false; status: 400 | 401 | 403 | 429; errors: FieldError[] };

/**
 * Checks an email and password and, when right, starts a session: bound to the only tenant the
 * user belongs to, or pending a choice when there are several. Every attempt is audited.
 */
export async function signIn(
  pool: pg.Pool,
  input: {
    email: string;
    password: string;
    requestId?: string;
    previousSessionHash?: string;
    /** Users this browser signed in as before (from its device cookie). */
    knownDevices?: KnownDevice[];
  },
): Promise<SignInOutcome> {
  const email = input.email.trim();
  const errors: FieldError[] = [];
  if (!email) errors.push({ field: 'email', message: 'Enter your email address' });
  else if (!isEmail(email))
    errors.push({ field: 'email', message: 'Enter an email address in the correct format, like name@example.nhs.uk' });
  if (!input.password) errors.push({ field: 'password', message: 'Enter your password' });
  if (errors.length) return { ok: false, status: 400, errors };

  const user = await q.findUserByEmail(pool, email);
  // Only a device cookie issued to this very user counts: anyone else shares the address's budget.
  const device = user ? input.knownDevices?.find((d) => d.userId === user.id) : undefined;
  const key = device ? deviceKey(email, device.deviceId) : emailKey(email);
  const tenants = user ? await q.tenantsOfUser(pool, user.id) : [];
  const auditFailure = async (reason: string) => {
    if (tenants.length === 0) {
      await recordAudit(pool, {
        tenantId: null,
        action: 'sign-in.failure',
        entityType: 'user',
        entityId: user?.id ?? null,
        reason,
        requestId: input.requestId,
      });
    }
    for (const tenant of tenants) {
      await recordAudit(pool, {
        tenantId: tenant.id,
        action: 'sign-in.failure',
        entityType: 'user',
        entityId: user!.id,
        reason,
        requestId: input.requestId,
      });
    }
  };

  if (await q.findThrottle(pool, key)) {
    await auditFailure('locked out');
    return { ok: false, status: 429, errors: [{ field: 'email', message: LOCKED_OUT }] };
  }
  const passwordOk = await verifyPassword(user?.active ? user.passwordHash : null, input.password);
  if (!user || !passwordOk) {
    const { locked } = await q.recordFailure(pool, key, device ? KNOWN_DEVICE_FAILURES : LOCKOUT_FAILURES, LOCKOUT_SECONDS);
    await auditFailure(!user ? 'unknown email' : device ? 'wrong password from a known device' : 'wrong password');
    return locked
      ? { ok: false, status: 429, errors: [{ field: 'email', message: LOCKED_OUT }] }
      : { ok: false, status: 401, errors: [{ field: 'email', message: WRONG_CREDENTIALS }] };
  }
  await q.clearThrottle(pool, key);
  if (tenants.length === 0) {
    await auditFailure('no role in any tenant');
    return {
      ok: false,
      status: 403,
      errors: [
        { field: 'email', message: 'Your account has no access to any service yet. Ask your Signpost administrator to give you a role.' },
      ],
    };
  }
  const sessionToken = await withTransaction(pool, (tx) =>
    startSession(tx, user.id, tenants, { previousSessionHash: input.previousSessionHash, requestId: input.requestId }),
  );
  return { ok: true as const, userId: user.id, sessionToken, tenants, deviceId: device?.deviceId ?? newDeviceId() };
}

/**
 * The session of a sign-in that passed its checks (password or single sign-on), in the caller's
 * transaction; returns its token. A user with one tenant is signed in to it at once; others choose.
 */
export async function startSession(
  tx: Db,
  userId: string,
  tenants: q.TenantChoice[],
  context: { previousSessionHash?: string; requestId?: string; reason?: string },
): Promise<string> {
  // A new session id on every sign-in: whatever session the browser had before is ended.
  if (context.previousSessionHash) await q.endSession(tx, context.previousSessionHash, 'replaced by sign-in');
  const only = tenants.length === 1 ? tenants[0]! : undefined;
  const session = await createSession(tx, userId, only?.id ?? null);
  if (only) await recordSignIn(tx, userId, only, context);
  return session.token;
}

function recordSignIn(tx: Db, userId: string, tenant: q.TenantChoice, context: { requestId?: string; reason?: string }) {
  return recordAudit(tx, {
    tenantId: tenant.id,
    actor: { userId, roles: tenant.roles },
    action: 'sign-in.success',
    entityType: 'user',
    entityId: userId,
    reason: context.reason,
    requestId: context.requestId,
  });
}

/** Binds a pending session to one of its user's tenants. */
export async function chooseTenant(
  pool: pg.Pool,
  session: { id: string; userId: string },
  tenantId: string,
  requestId?: string,
): Promise<void> {
  const tenants = await q.tenantsOfUser(pool, session.userId);
  const chosen = tenants.find((t) => t.id === tenantId);
  if (!chosen) throw new InvalidInput([{ field: 'tenant', message: 'Select the service you want to work in' }]);
  await withTransaction(pool, async (tx) => {
    await q.setSessionTenant(tx, session.id, chosen.id);
    await recordSignIn(tx, session.userId, chosen, { requestId });
  });
}

export async function tenantsFor(pool: pg.Pool, userId: string): Promise<q.TenantChoice[]> {
  return q.tenantsOfUser(pool, userId);
}

export async function signOut(pool: pg.Pool, sessionHash: string, actor: Actor | undefined, requestId?: string): Promise<void> {
  await withTransaction(pool, async (tx) => {
    await q.endSession(tx, sessionHash, 'signed out');
    if (actor)
      await recordAudit(tx, { tenantId: actor.tenantId, actor, action: 'sign-out', entityType: 'user', entityId: actor.userId, requestId });
  });
}

/** Ends every session of the signed-in user, on every device. */
export async function signOutEverywhere(pool: pg.Pool, actor: Actor, requestId?: string): Promise<number> {
  return withTransaction(pool, async (tx) => {
    const ended = await q.endUserSessions(tx, actor.userId, 'signed out everywhere');
    await recordAudit(tx, {
      tenantId: actor.tenantId,
      actor,
      action: 'sign-out.everywhere',
      entityType: 'user',
      entityId: actor.userId,
      reason: `${ended} session(s) ended`,
      requestId,
    });
    return ended;
  });
}

export interface NewUser {
  email: string;
  name: string;
  tenantId: string;
  roles: Role[];
  practiceId?: string | null;
  providerOrganisationId?: string | null;
  password?: string;
}

/** Creates a user with roles in one tenant (for the command line and the demo). */
export async function addUser(pool: pg.Pool, user: NewUser): Promise<string> {
  const errors = checkUserFields(user);
  if (user.password !== undefined) {
    const problem = checkNewPassword(user.password, { email: user.email, name: user.name });
    if (problem) errors.push(problem);
  }
  if (errors.length) throw new InvalidInput(errors);
  const passwordHash = user.password ? await hashPassword(user.password) : null;
  return withTransaction(pool, async (tx) => {
    if (await q.findUserByEmail(tx, user.email)) throw new RuleBroken('A user with that email address already exists.', 'email');
    const userId = await q.insertUser(tx, { email: user.email.trim(), name: user.name.trim(), passwordHash });
    await withTenantSettings(tx, user.tenantId, async () => {
      for (const role of user.roles) {
        await q.insertMembership(tx, {
          tenantId: user.tenantId,
          userId,
          role,
          practiceId: role === 'referrer' ? (user.practiceId ?? null) : null,
          providerOrganisationId: role === 'provider' ? (user.providerOrganisationId ?? null) : null,
        });
      }
      await recordAudit(tx, {
        tenantId: user.tenantId,
        action: 'user.create',
        entityType: 'user',
        entityId: userId,
        reason: `roles: ${user.roles.join(', ')}`,
      });
    });
    return userId;
  });
}

// Inside an owner transaction, sets the tenant for RLS-checked inserts as the app role.
async function withTenantSettings<T>(tx: Db, tenantId: string, work: () => Promise<T>): Promise<T> {
  await setTenant(tx, tenantId);
  return work();
}

function checkUserFields(user: {
  email: string;
  name: string;
  roles: Role[];
  practiceId?: string | null;
  providerOrganisationId?: string | null;
}): FieldError[] {
  const errors: FieldError[] = [];
  if (!user.email?.trim()) errors.push({ field: 'email', message: 'Enter an email address' });
  else if (!isEmail(user.email.trim()))
    errors.push({ field: 'email', message: 'Enter an email address in the correct format, like name@example.nhs.uk' });
  if (!user.name?.trim()) errors.push({ field: 'name', message: 'Enter a full name' });
  else if (user.name.length > 200) errors.push({ field: 'name', message: 'Name must be 200 characters or fewer' });
  if (!user.roles.length) errors.push({ field: 'roles', message: 'Select at least one role' });
  else if (user.roles.some((r) => !ROLES.includes(r))) errors.push({ field: 'roles', message: 'Select roles from the list' });
  if (user.roles.includes('referrer') && !user.practiceId)
    errors.push({ field: 'practiceId', message: 'Select the practice a referrer refers from' });
  if (user.roles.includes('provider') && !user.providerOrganisationId) {
    errors.push({ field: 'providerOrganisationId', message: 'Select the organisation a provider user works for' });
  }
  return errors;
}

/** Whether the user holds the role in the tenant and may sign in (a lead allocating to a link worker). */
export async function holdsRole(db: Db, tenantId: string, userId: string, role: Role): Promise<boolean> {
  return q.activeUserHoldsRole(db, tenantId, userId, role);
}

/** The tenant's practices with these ids, each with its ODS code and MESH mailbox (inside the caller's transaction). */
export async function practicesWithin(db: Db, tenantId: string, practiceIds: string[]) {
  return practiceIds.length ? q.findPractices(db, tenantId, practiceIds) : [];
}

/** The tenant whose name matches, for the command line. */
export async function findTenantByName(pool: pg.Pool, nameOrId: string): Promise<{ id: string; name: string } | undefined> {
  return q.findTenantByNameOrId(pool, nameOrId);
}

/** The id of a tenant's practice with this ODS code, for the command line. */
export async function findPracticeIdByOdsCode(pool: pg.Pool, tenantId: string, odsCode: string): Promise<string | undefined> {
  return q.findPracticeIdByOdsCode(pool, tenantId, odsCode);
}

/** A tenant's provider organisation by id or name, for the command line. */
export async function findProviderOrganisationId(pool: pg.Pool, tenantId: string, idOrName: string): Promise<string | undefined> {
  return q.findProviderOrganisationId(pool, tenantId, idOrName);
}

/** The tenant's name and postal address, for the letterhead of a discharge summary (inside withTenant). */
export async function tenantLetterhead(db: Db, tenantId: string): Promise<{ name: string; address: string | null }> {
  const found = await q.tenantLetterhead(db, tenantId);
  return found ?? { name: 'Social prescribing service', address: null };
}

/** Sets the postal address printed on what the tenant sends (command line). */
export async function setTenantAddress(pool: pg.Pool, tenantId: string, address: string): Promise<void> {
  const text = address.trim();
  if (text.length > 500) throw new InvalidInput([{ field: 'address', message: 'The address must be 500 characters or fewer' }]);
  await withTransaction(pool, async (tx) => {
    await q.setTenantAddress(tx, tenantId, text || null);
    await recordAudit(tx, { tenantId, action: 'tenant.address', entityType: 'tenant', entityId: tenantId });
  });
}

/** Creates a tenant (command line); its creation is the first event of its audit chain. */
export async function addTenant(pool: pg.Pool, name: string): Promise<string> {
  return withTransaction(pool, async (tx) => {
    const id = await q.insertTenant(tx, name);
    await recordAudit(tx, { tenantId: id, action: 'tenant.create', entityType: 'tenant', entityId: id, reason: name });
    return id;
  });
}
