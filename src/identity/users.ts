import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { setTenant, withTenant, withTransaction } from '../db/transaction.ts';
import { latestNotifications, queueNotification } from '../jobs/outbox.ts';
import { Forbidden, InvalidInput, NotFound, RuleBroken, type FieldError } from '../web/errors.ts';
import { ROLES, type Actor, type Role } from './actor.ts';
import { recordAudit, recordAuditBy } from './audit.ts';
import { checkNewPassword, hashPassword, verifyPassword } from './passwords.ts';
import * as q from './queries.ts';
import { hashToken, newToken } from './sessions.ts';
import { isUuid } from '../db/ids.ts';

export const INVITATION_TTL_SECONDS = 7 * 24 * 60 * 60;
export const RESET_TTL_SECONDS = 60 * 60;

function requireAdmin(actor: Actor) {
  if (!actor.roles.includes('admin')) throw new Forbidden();
}

export interface RoleChoice {
  roles: Role[];
  practiceId: string | null;
  providerOrganisationId: string | null;
}

/** Checks roles plus the practice or organisation they need, against this tenant's lists. */
function checkRoleChoice(choice: RoleChoice, practices: { id: string }[], organisations: { id: string }[]): FieldError[] {
  const errors: FieldError[] = [];
  if (choice.roles.length === 0) errors.push({ field: 'roles', message: 'Select at least one role' });
  else if (choice.roles.some((r) => !ROLES.includes(r))) errors.push({ field: 'roles', message: 'Select roles from the list' });
  if (choice.roles.includes('referrer') && !practices.some((p) => p.id === choice.practiceId)) {
    errors.push({ field: 'practiceId', message: 'Select the practice this referrer refers from' });
  }
  if (choice.roles.includes('provider') && !organisations.some((o) => o.id === choice.providerOrganisationId)) {
    errors.push({ field: 'providerOrganisationId', message: 'Select the organisation this provider user works for' });
  }
  return errors;
}

/** A membership per chosen role; only a referrer has a practice, only a provider user an organisation. */
async function grantRoles(tx: Db, tenantId: string, userId: string, choice: RoleChoice): Promise<void> {
  for (const role of choice.roles) {
    await q.insertMembership(tx, {
      tenantId,
      userId,
      role,
      practiceId: role === 'referrer' ? choice.practiceId : null,
      providerOrganisationId: role === 'provider' ? choice.providerOrganisationId : null,
    });
  }
}

export async function listUsers(pool: pg.Pool, actor: Actor) {
  requireAdmin(actor);
  return withTenant(pool, actor.tenantId, async (tx) => ({
    users: await q.listMembers(tx),
    practices: await q.listPractices(tx),
    organisations: await q.listProviderOrganisations(tx),
  }));
}

export async function getUser(pool: pg.Pool, actor: Actor, userId: string) {
  requireAdmin(actor);
  if (!isUuid(userId)) throw new NotFound('user');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const user = await q.findMember(tx, userId);
    if (!user) throw new NotFound('user');
    return { user, practices: await q.listPractices(tx), organisations: await q.listProviderOrganisations(tx) };
  });
}

export async function practicesAndOrganisations(pool: pg.Pool, actor: Actor) {
  return withTenant(pool, actor.tenantId, async (tx) => ({
    practices: await q.listPractices(tx),
    organisations: await q.listProviderOrganisations(tx),
  }));
}

export interface Invitation extends RoleChoice {
  email: string;
  name: string;
}

/**
 * Invites someone into the admin's tenant: a new account without a password (or an existing
 * account from another tenant) gets the roles, and an invitation link goes to the outbox.
 */
export async function inviteUser(
  pool: pg.Pool,
  actor: Actor,
  input: Invitation,
  context: { baseUrl: string; requestId?: string },
): Promise<string> {
  requireAdmin(actor);
  const email = input.email.trim();
  const name = input.name.trim();
  return withTenant(pool, actor.tenantId, async (tx) => {
    const errors: FieldError[] = [];
    if (!email) errors.push({ field: 'email', message: 'Enter an email address' });
    else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254)
      errors.push({ field: 'email', message: 'Enter an email address in the correct format, like name@example.nhs.uk' });
    if (!name) errors.push({ field: 'name', message: 'Enter their full name' });
    else if (name.length > 200) errors.push({ field: 'name', message: 'Name must be 200 characters or fewer' });
    errors.push(...checkRoleChoice(input, await q.listPractices(tx), await q.listProviderOrganisations(tx)));
    if (errors.length) throw new InvalidInput(errors);
    const existing = await q.findUserByEmail(tx, email);
    if (existing && (await q.findMember(tx, existing.id))) {
      throw new RuleBroken('This person already has access to this service. Change their roles instead.', 'email');
    }
    const userId = existing?.id ?? (await q.insertUser(tx, { email, name, passwordHash: null }));
    await grantRoles(tx, actor.tenantId, userId, input);
    const serviceName = (await q.tenantName(tx, actor.tenantId)) ?? 'Signpost';
    if (existing?.passwordHash) {
      // Someone who can already sign in just needs to know they have access here now.
      await queueNotification(tx, {
        tenantId: actor.tenantId,
        channel: 'email',
        recipient: existing.email,
        template: 'access-granted',
        personalisation: { name: existing.name, service: serviceName, link: `${context.baseUrl}/sign-in` },
        idempotencyKey: `access-granted:${userId}:${Date.now()}`,
      });
    } else {
      const token = newToken();
      const tokenHash = hashToken(token);
      await q.insertToken(tx, {
        id: tokenHash,
        userId,
        tenantId: actor.tenantId,
        purpose: 'invitation',
        ttlSeconds: INVITATION_TTL_SECONDS,
      });
      await queueNotification(tx, {
        tenantId: actor.tenantId,
        channel: 'email',
        recipient: email,
        template: 'invitation',
        personalisation: {
          name,
          service: serviceName,
          invitedBy: actor.name,
          link: `${context.baseUrl}/invitation?token=${token}`,
          expires: '7 days',
        },
        idempotencyKey: `invitation:${userId}:${tokenHash.slice(0, 16)}`,
        secretKeys: ['link'],
      });
    }
    await recordAuditBy(tx, actor, context, {
      action: 'user.invite',
      entityType: 'user',
      entityId: userId,
      reason: `roles: ${input.roles.join(', ')}`,
    });
    return userId;
  });
}

/** Replaces a user's roles in the admin's tenant. Admins cannot remove their own admin role. */
export async function changeRoles(pool: pg.Pool, actor: Actor, userId: string, choice: RoleChoice, requestId?: string): Promise<void> {
  requireAdmin(actor);
  if (!isUuid(userId)) throw new NotFound('user');
  await withTenant(pool, actor.tenantId, async (tx) => {
    const user = await q.findMember(tx, userId);
    if (!user) throw new NotFound('user');
    const errors = checkRoleChoice(choice, await q.listPractices(tx), await q.listProviderOrganisations(tx));
    if (errors.length) throw new InvalidInput(errors);
    if (userId === actor.userId && !choice.roles.includes('admin')) {
      throw new RuleBroken('You cannot remove your own admin role. Ask another admin to do it.', 'roles');
    }
    await q.deleteMemberships(tx, actor.tenantId, userId, choice.roles);
    await grantRoles(tx, actor.tenantId, userId, choice);
    await recordAudit(tx, {
      tenantId: actor.tenantId,
      actor,
      action: 'user.roles.change',
      entityType: 'user',
      entityId: userId,
      reason: `from ${user.roles.join(', ')} to ${choice.roles.join(', ')}`,
      requestId,
    });
  });
}

/** Removes a user from the admin's tenant; their sessions there end at once. */
export async function deactivateUser(pool: pg.Pool, actor: Actor, userId: string, requestId?: string): Promise<void> {
  requireAdmin(actor);
  if (!isUuid(userId)) throw new NotFound('user');
  if (userId === actor.userId) throw new RuleBroken('You cannot deactivate your own account.');
  await withTenant(pool, actor.tenantId, async (tx) => {
    const user = await q.findMember(tx, userId);
    if (!user) throw new NotFound('user');
    await q.deleteMemberships(tx, actor.tenantId, userId);
    const ended = await q.endUserSessions(tx, userId, 'deactivated', actor.tenantId);
    await recordAudit(tx, {
      tenantId: actor.tenantId,
      actor,
      action: 'user.deactivate',
      entityType: 'user',
      entityId: userId,
      reason: `roles removed: ${user.roles.join(', ')}; ${ended} session(s) ended`,
      requestId,
    });
  });
}

/** Looks up an invitation or reset token that can still be used. */
export async function findToken(pool: pg.Pool, token: string, purpose: 'invitation' | 'password_reset') {
  if (!token || token.length > 100) return undefined;
  const row = await q.findUsableToken(pool, hashToken(token));
  return row && row.purpose === purpose ? row : undefined;
}

/** Sets a password from an invitation or reset link; the token works once. */
export async function setPasswordWithToken(
  pool: pg.Pool,
  token: string,
  purpose: 'invitation' | 'password_reset',
  password: string,
  confirm: string,
  requestId?: string,
): Promise<void> {
  const found = await findToken(pool, token, purpose);
  if (!found) throw new NotFound('link. It may have expired or already been used');
  const errors: FieldError[] = [];
  const problem = checkNewPassword(password, { email: found.email, name: found.name });
  if (problem) errors.push(problem);
  else if (password !== confirm) errors.push({ field: 'confirm', message: 'The passwords do not match' });
  if (errors.length) throw new InvalidInput(errors);
  const passwordHash = await hashPassword(password);
  await withTransaction(pool, async (tx) => {
    if (!(await q.useToken(tx, hashToken(token)))) throw new NotFound('link. It may have expired or already been used');
    await q.setPassword(tx, found.userId, passwordHash);
    await q.expireOtherTokens(tx, found.userId, purpose);
    // A reset means the old password may be known to someone else: end every session.
    if (purpose === 'password_reset') await q.endUserSessions(tx, found.userId, 'password reset');
    await recordAudit(tx, {
      tenantId: found.tenantId,
      actor: { userId: found.userId, roles: [] },
      action: purpose === 'invitation' ? 'invitation.accept' : 'password.reset',
      entityType: 'user',
      entityId: found.userId,
      requestId,
    });
  });
}

/**
 * Queues a password reset link when the email belongs to an active user with a role somewhere.
 * Says nothing about whether it did: the page reads the same either way.
 */
export async function requestPasswordReset(pool: pg.Pool, email: string, context: { baseUrl: string; requestId?: string }): Promise<void> {
  const trimmed = email.trim();
  if (!trimmed) throw new InvalidInput([{ field: 'email', message: 'Enter your email address' }]);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed) || trimmed.length > 254) {
    throw new InvalidInput([{ field: 'email', message: 'Enter an email address in the correct format, like name@example.nhs.uk' }]);
  }
  const user = await q.findUserByEmail(pool, trimmed);
  if (!user?.active) return;
  const tenants = await q.tenantsOfUser(pool, user.id);
  const tenant = tenants[0];
  if (!tenant) return;
  const token = newToken();
  const tokenHash = hashToken(token);
  await withTransaction(pool, async (tx) => {
    await q.expireOtherTokens(tx, user.id, 'password_reset');
    await q.insertToken(tx, {
      id: tokenHash,
      userId: user.id,
      tenantId: tenant.id,
      purpose: 'password_reset',
      ttlSeconds: RESET_TTL_SECONDS,
    });
    await setTenant(tx, tenant.id);
    await queueNotification(tx, {
      tenantId: tenant.id,
      channel: 'email',
      recipient: user.email,
      template: 'password-reset',
      personalisation: { name: user.name, link: `${context.baseUrl}/reset-password?token=${token}`, expires: '1 hour' },
      idempotencyKey: `password-reset:${user.id}:${tokenHash.slice(0, 16)}`,
      secretKeys: ['link'],
    });
    await recordAudit(tx, {
      tenantId: tenant.id,
      action: 'password.reset-requested',
      entityType: 'user',
      entityId: user.id,
      requestId: context.requestId,
    });
  });
}

/** Changes the signed-in user's own password after checking the current one. */
export async function changeOwnPassword(
  pool: pg.Pool,
  actor: Actor,
  current: string,
  password: string,
  confirm: string,
  requestId?: string,
): Promise<void> {
  const user = await q.findUserById(pool, actor.userId);
  if (!user) throw new NotFound('user');
  if (!current) throw new InvalidInput([{ field: 'current', message: 'Enter your current password' }]);
  if (!(await verifyPassword(user.passwordHash, current)))
    throw new InvalidInput([{ field: 'current', message: 'Your current password is not right' }]);
  const problem = checkNewPassword(password, { email: user.email, name: user.name });
  if (problem) throw new InvalidInput([problem]);
  if (password !== confirm) throw new InvalidInput([{ field: 'confirm', message: 'The passwords do not match' }]);
  const passwordHash = await hashPassword(password);
  await withTransaction(pool, async (tx) => {
    await q.setPassword(tx, actor.userId, passwordHash);
    await recordAudit(tx, {
      tenantId: actor.tenantId,
      actor,
      action: 'password.change',
      entityType: 'user',
      entityId: actor.userId,
      requestId,
    });
  });
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function validDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/** The tenant's audit trail, filtered by user, person and dates (YYYY-MM-DD). */
export async function searchAuditTrail(pool: pg.Pool, actor: Actor, filter: { user: string; person: string; from: string; to: string }) {
  requireAdmin(actor);
  const errors: FieldError[] = [];
  if (filter.user && !isUuid(filter.user)) errors.push({ field: 'user', message: 'Select a user from the list' });
  if (filter.person && filter.person.length > 100)
    errors.push({ field: 'person', message: 'Person reference must be 100 characters or fewer' });
  if (filter.from && !validDate(filter.from))
    errors.push({ field: 'from', message: 'Enter the from date as a real date, like 2026-11-24' });
  if (filter.to && !validDate(filter.to)) errors.push({ field: 'to', message: 'Enter the to date as a real date, like 2026-11-24' });
  if (!errors.length && filter.from && filter.to && filter.from > filter.to)
    errors.push({ field: 'to', message: 'The to date must be the same as or after the from date' });
  return withTenant(pool, actor.tenantId, async (tx) => {
    const users = await q.listMembers(tx);
    if (errors.length) return { errors, events: [], users };
    const events = await q.searchAudit(tx, {
      userId: filter.user || undefined,
      personId: filter.person || undefined,
      from: filter.from || undefined,
      to: filter.to || undefined,
      limit: 200,
    });
    return { errors, events, users };
  });
}

export async function outbox(pool: pg.Pool, actor: Actor) {
  requireAdmin(actor);
  return withTenant(pool, actor.tenantId, (tx) => latestNotifications(tx, actor.tenantId, 100));
}

const MESH_MAILBOX_MESSAGE = 'MESH mailbox ID must be 3 to 20 letters and numbers, like A12345OT001';

/** Adds a GP practice to the admin's tenant by its ODS code, with its MESH mailbox when known. */
export async function addPractice(
  pool: pg.Pool,
  actor: Actor,
  input: { odsCode: string; name: string; meshMailboxId?: string },
  requestId?: string,
): Promise<string> {
  requireAdmin(actor);
  const odsCode = input.odsCode.trim().toUpperCase();
  const name = input.name.trim();
  const mailbox = (input.meshMailboxId ?? '').trim().toUpperCase() || null;
  const errors: FieldError[] = [];
  if (mailbox && !/^[A-Z0-9]{3,20}$/.test(mailbox)) errors.push({ field: 'meshMailboxId', message: MESH_MAILBOX_MESSAGE });
  if (!odsCode) errors.push({ field: 'odsCode', message: "Enter the practice's ODS code" });
  else if (!/^[A-Z0-9]{3,10}$/.test(odsCode))
    errors.push({ field: 'odsCode', message: 'ODS code must be 3 to 10 letters and numbers, like B86001' });
  if (!name) errors.push({ field: 'name', message: 'Enter the practice name' });
  else if (name.length > 200) errors.push({ field: 'name', message: 'Practice name must be 200 characters or fewer' });
  if (errors.length) throw new InvalidInput(errors);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const existing = await q.listPractices(tx);
    if (existing.some((p) => p.odsCode === odsCode))
      throw new InvalidInput([{ field: 'odsCode', message: `${odsCode} is already a practice in this service` }]);
    const id = await q.insertPractice(tx, actor.tenantId, odsCode, name, mailbox);
    await recordAudit(tx, {
      tenantId: actor.tenantId,
      actor,
      action: 'practice.create',
      entityType: 'practice',
      entityId: id,
      reason: `${odsCode} ${name}${mailbox ? ` MESH ${mailbox}` : ''}`,
      requestId,
    });
    return id;
  });
}

/**
 * Sets (or clears) the MESH mailbox a practice receives documents in: discharge summaries go to
 * the GP record through it (GP Connect Send Document). Blank clears it.
 */
export async function setPracticeMeshMailbox(
  pool: pg.Pool,
  actor: Actor,
  input: { practiceId: string; meshMailboxId: string },
  requestId?: string,
): Promise<void> {
  requireAdmin(actor);
  const mailbox = input.meshMailboxId.trim().toUpperCase() || null;
  if (mailbox && !/^[A-Z0-9]{3,20}$/.test(mailbox)) throw new InvalidInput([{ field: 'meshMailboxId', message: MESH_MAILBOX_MESSAGE }]);
  await withTenant(pool, actor.tenantId, async (tx) => {
    const practice = (await q.listPractices(tx)).find((p) => p.id === input.practiceId);
    if (!practice) throw new InvalidInput([{ field: 'mailboxPracticeId', message: 'Select a practice' }]);
    await q.setPracticeMailbox(tx, actor.tenantId, practice.id, mailbox);
    await recordAudit(tx, {
      tenantId: actor.tenantId,
      actor,
      action: 'practice.mesh-mailbox',
      entityType: 'practice',
      entityId: practice.id,
      reason: mailbox ?? 'cleared',
      requestId,
    });
  });
}
