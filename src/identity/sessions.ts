import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import type { Actor } from './actor.ts';
import * as q from './queries.ts';

export const SESSION_COOKIE = 'signpost_session';
/** Signed out after this long without a request. */
export const IDLE_TIMEOUT_SECONDS = 30 * 60;
/** Signed out this long after signing in, however active. */
export const ABSOLUTE_TIMEOUT_SECONDS = 12 * 60 * 60;
// last_seen_at is written at most this often, so ordinary browsing is not a write per request.
const TOUCH_AFTER_MS = 60_000;

/** A session whose owner has proved who they are but not yet chosen among several tenants. */
export interface PendingSession {
  id: string;
  userId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The hashed id of the request's live session, signed in or pending. */
    sessionHash?: string;
    pendingSession?: PendingSession;
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Creates a session row and returns the cookie value (the unhashed token). */
export async function createSession(db: Db, userId: string, tenantId: string | null): Promise<{ token: string; hash: string }> {
  const token = newToken();
  const hash = hashToken(token);
  await q.insertSession(db, { id: hash, userId, tenantId, absoluteSeconds: ABSOLUTE_TIMEOUT_SECONDS });
  return { token, hash };
}

export function setSessionCookie(reply: FastifyReply, token: string): void {
  const secure = reply.server.config.baseUrl.startsWith('https:');
  reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure, signed: true });
}

export function clearSessionCookie(reply: FastifyReply): void {
  const secure = reply.server.config.baseUrl.startsWith('https:');
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure });
}

/** The session token in the request's cookie if its signature holds. */
export function sessionTokenOf(req: FastifyRequest): string | undefined {
  const raw = req.cookies?.[SESSION_COOKIE];
  if (!raw) return undefined;
  const unsigned = req.unsignCookie(raw);
  return unsigned.valid && unsigned.value ? unsigned.value : undefined;
}

export async function loadActor(
  db: Db,
  token: string,
): Promise<{ actor?: Actor; pending?: PendingSession; hash: string; lastSeenAt: Date } | undefined> {
  const hash = hashToken(token);
  const row = await q.findLiveSession(db, hash, IDLE_TIMEOUT_SECONDS);
  if (!row) return undefined;
  if (!row.tenantId) return { pending: { id: hash, userId: row.userId }, hash, lastSeenAt: row.lastSeenAt };
  // No role left in the session's tenant (removed or deactivated): the session is over.
  if (!row.roles || row.roles.length === 0) return undefined;
  return {
    hash,
    lastSeenAt: row.lastSeenAt,
    actor: {
      userId: row.userId,
      tenantId: row.tenantId,
      email: row.email,
      name: row.name,
      roles: row.roles,
      practiceId: row.practiceId,
      providerOrganisationId: row.providerOrganisationId,
      sessionId: hash,
    },
  };
}

function isAsset(url: string): boolean {
  return url.startsWith('/assets/') || url.startsWith('/static/');
}

/**
 * Loads `req.actor` from the session cookie on every request. A cookie that fails its signature,
 * names no live session, or has passed the idle or absolute timeout means signed out.
 */
export function setUpSessions(app: FastifyInstance): void {
  app.decorateRequest('sessionHash', undefined);
  app.decorateRequest('pendingSession', undefined);
  app.addHook('onRequest', async (req, reply) => {
    if (isAsset(req.url)) return;
    const token = sessionTokenOf(req);
    if (!token) {
      if (req.cookies?.[SESSION_COOKIE]) clearSessionCookie(reply);
      return;
    }
    const loaded = await loadActor(app.database.pool, token);
    if (!loaded) {
      clearSessionCookie(reply);
      return;
    }
    req.sessionHash = loaded.hash;
    req.actor = loaded.actor;
    req.pendingSession = loaded.pending;
    if (Date.now() - new Date(loaded.lastSeenAt).getTime() > TOUCH_AFTER_MS) await q.touchSession(app.database.pool, loaded.hash);
  });
}
