import type pg from 'pg';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, importJWK, jwtVerify, type JWK } from 'jose';
import { withTenant } from '../../db/transaction.ts';
import { hasRole, type Actor } from '../../identity/actor.ts';
import { recordAudit, recordAuditBy } from '../../identity/audit.ts';
import { practicesWithin } from '../../identity/service.ts';
import { hashToken, newToken } from '../../identity/sessions.ts';
import { Forbidden, InvalidInput, NotFound, type FieldError } from '../../web/errors.ts';
import * as q from './queries.ts';
import { covers, isKnownScope, parseScopes } from './scopes.ts';
import { isUuid } from '../../db/ids.ts';

/** A system calling with a bearer token: one tenant, the scopes its token was granted. */
export interface ApiClientActor {
  clientId: string;
  tenantId: string;
  name: string;
  scopes: string[];
  practiceId: string | null;
}

/** How long a bearer token lives. SMART backend services suggests no more than five minutes. */
export const TOKEN_SECONDS = 300;
/** The longest an assertion may live (its exp no further ahead than this). */
export const ASSERTION_MAX_SECONDS = 300;
const CLOCK_SKEW_SECONDS = 30;
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384'];

function requireAdmin(actor: Actor) {
  if (!hasRole(actor, 'admin')) throw new Forbidden();
}

// ---------------------------------------------------------------------------------------------
// Registration (admin pages)

export interface ClientInput {
  name: string;
  scopes: string;
  jwks: string;
  practiceId: string;
}

/** The pasted key: a JWKS or one JWK, public RSA or EC keys only, each usable by jose. */
async function checkKeys(text: string, errors: FieldError[]): Promise<{ keys: JWK[] } | undefined> {
  const field = 'jwks';
  if (!text.trim()) {
    errors.push({ field, message: 'Paste the system’s public key as a JWK or JWKS' });
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    errors.push({ field, message: 'The public key must be JSON: a JWK like {"kty":"RSA",...} or a JWKS like {"keys":[...]}' });
    return undefined;
  }
  const set =
    parsed && typeof parsed === 'object' && Array.isArray((parsed as { keys?: unknown }).keys)
      ? (parsed as { keys: unknown[] }).keys
      : [parsed];
  if (set.length === 0 || set.length > 10) {
    errors.push({ field, message: 'The key set must hold from 1 to 10 keys' });
    return undefined;
  }
  const keys: JWK[] = [];
  for (const key of set) {
    if (!key || typeof key !== 'object') {
      errors.push({ field, message: 'Each key must be a JSON object' });
      return undefined;
    }
    const jwk = key as JWK;
    if (jwk.d !== undefined || jwk.p !== undefined) {
      errors.push({ field, message: 'That is a private key. Paste only the public key; the private key never leaves the calling system' });
      return undefined;
    }
    if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') {
      errors.push({ field, message: 'Keys must be RSA (for RS384) or EC P-384 (for ES384)' });
      return undefined;
    }
    try {
      await importJWK(jwk, jwk.alg ?? (jwk.kty === 'RSA' ? 'RS384' : 'ES384'));
    } catch {
      errors.push({ field, message: 'The key could not be read. Check it is a complete public JWK' });
      return undefined;
    }
    keys.push(jwk);
  }
  return { keys };
}

export async function registerClient(
  pool: pg.Pool,
  actor: Actor,
  input: ClientInput,
  context: { requestId?: string } = {},
): Promise<string> {
  requireAdmin(actor);
  const errors: FieldError[] = [];
  const name = input.name.trim();
  if (!name) errors.push({ field: 'name', message: 'Enter the name of the system' });
  else if (name.length > 200) errors.push({ field: 'name', message: 'The name must be 200 characters or fewer' });
  const scopes = parseScopes(input.scopes);
  if (scopes.length === 0) errors.push({ field: 'scopes', message: 'Enter at least one scope, like system/ServiceRequest.write' });
  const unknown = scopes.filter((s) => !isKnownScope(s));
  if (unknown.length)
    errors.push({
      field: 'scopes',
      message: `These are not scopes Signpost knows: ${unknown.join(', ')}. Use system/<Resource>.read or .write`,
    });
  const practiceId = input.practiceId.trim() || null;
  if (practiceId && !isUuid(practiceId)) errors.push({ field: 'practiceId', message: 'Select a practice from the list' });
  const jwks = await checkKeys(input.jwks, errors);
  if (errors.length || !jwks) throw new InvalidInput(errors);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const id = await q.insertClient(tx, actor.tenantId, { name, scopes, jwks, practiceId, createdBy: actor.userId });
    await recordAuditBy(tx, actor, context, {
      action: 'api-client.create',
      entityType: 'api_client',
      entityId: id,
      reason: scopes.join(' '),
    });
    return id;
  });
}

export async function listClients(pool: pg.Pool, actor: Actor) {
  requireAdmin(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const clients = await q.listClients(tx, actor.tenantId);
    const practiceIds = [...new Set(clients.flatMap((c) => (c.practiceId ? [c.practiceId] : [])))];
    const practices = await practicesWithin(tx, actor.tenantId, practiceIds);
    return clients.map((c) => ({ ...c, practiceName: practices.find((p) => p.id === c.practiceId)?.name ?? null }));
  });
}

/** Revoked at once: its tokens are deleted, so the next call with one fails. */
export async function revokeClient(pool: pg.Pool, actor: Actor, clientId: string, context: { requestId?: string } = {}): Promise<void> {
  requireAdmin(actor);
  if (!isUuid(clientId)) throw new NotFound('system');
  await withTenant(pool, actor.tenantId, async (tx) => {
    if (!(await q.findClient(tx, actor.tenantId, clientId))) throw new NotFound('system');
    await q.revokeClient(tx, actor.tenantId, clientId, actor.userId);
    await recordAuditBy(tx, actor, context, { action: 'api-client.revoke', entityType: 'api_client', entityId: clientId });
  });
}

// ---------------------------------------------------------------------------------------------
// The token endpoint (SMART backend services, client credentials with a JWT assertion)

/** An OAuth 2.0 error response (RFC 6749 section 5.2). */
export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export interface TokenRequest {
  grant_type?: string;
  client_assertion_type?: string;
  client_assertion?: string;
  scope?: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope: string;
}

/** The client id an assertion claims, before anything is checked (for rate limiting). */
export function claimedClientId(assertion: unknown): string | undefined {
  if (typeof assertion !== 'string') return undefined;
  try {
    const iss = decodeJwt(assertion).iss;
    return typeof iss === 'string' && isUuid(iss) ? iss : undefined;
  } catch {
    return undefined;
  }
}

export async function issueToken(
  pool: pg.Pool,
  request: TokenRequest,
  tokenUrl: string,
  context: { requestId?: string; now?: Date } = {},
): Promise<TokenResponse> {
  const now = context.now ?? new Date();
  if (request.grant_type !== 'client_credentials')
    throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials.');
  if (request.client_assertion_type !== ASSERTION_TYPE)
    throw new OAuthError(400, 'invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}.`);
  if (!request.client_assertion)
    throw new OAuthError(400, 'invalid_request', 'client_assertion is missing: send a JWT signed with the system’s private key.');
  const requested = parseScopes(request.scope ?? '');
  if (requested.length === 0) throw new OAuthError(400, 'invalid_scope', 'Ask for at least one scope, like system/ServiceRequest.write.');

  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(request.client_assertion);
  } catch {
    throw new OAuthError(401, 'invalid_client', 'client_assertion is not a JWT.');
  }
  const clientId = claims.iss;
  if (typeof clientId !== 'string' || !isUuid(clientId))
    throw new OAuthError(401, 'invalid_client', 'The assertion’s iss must be the client id Signpost gave the system.');
  if (claims.sub !== clientId) throw new OAuthError(401, 'invalid_client', 'The assertion’s sub must equal its iss (the client id).');
  const tenantId = await q.clientTenant(pool, clientId);
  if (!tenantId) throw new OAuthError(401, 'invalid_client', 'No system is registered with that client id.');

  return withTenant(pool, tenantId, async (tx) => {
    const client = await q.findClient(tx, tenantId, clientId);
    if (!client || client.revokedAt) throw new OAuthError(401, 'invalid_client', 'This system’s registration has been revoked.');
    try {
      await jwtVerify(request.client_assertion!, createLocalJWKSet(client.jwks as never), {
        algorithms: ASSERTION_ALGORITHMS,
        issuer: clientId,
        subject: clientId,
        audience: tokenUrl,
        currentDate: now,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'jti'],
      });
    } catch (error) {
      throw assertionProblem(error, tokenUrl);
    }
    const exp = claims.exp!;
    if (exp - now.getTime() / 1000 > ASSERTION_MAX_SECONDS + CLOCK_SKEW_SECONDS) {
      throw new OAuthError(
        400,
        'invalid_grant',
        `The assertion’s exp is too far ahead: it may be at most ${ASSERTION_MAX_SECONDS / 60} minutes after now.`,
      );
    }
    if (!(await q.useAssertion(tx, tenantId, clientId, String(claims.jti), new Date(exp * 1000 + CLOCK_SKEW_SECONDS * 1000), now))) {
      throw new OAuthError(
        400,
        'invalid_grant',
        'This assertion’s jti was used before. Sign a new assertion with a new jti for each token request.',
      );
    }
    const refused = requested.filter((s) => !covers(client.scopes, s));
    if (refused.length)
      throw new OAuthError(
        400,
        'invalid_scope',
        `This system is not registered for: ${refused.join(' ')}. It may ask for: ${client.scopes.join(' ')}.`,
      );

    const token = newToken();
    await q.insertToken(tx, tenantId, {
      tokenHash: hashToken(token),
      clientId,
      scopes: requested,
      issuedAt: now,
      expiresAt: new Date(now.getTime() + TOKEN_SECONDS * 1000),
    });
    await recordAudit(tx, {
      actor: { userId: clientId, roles: [] },
      tenantId,
      action: 'api-client.token',
      entityType: 'api_client',
      entityId: clientId,
      reason: requested.join(' '),
      requestId: context.requestId,
    });
    return { access_token: token, token_type: 'bearer', expires_in: TOKEN_SECONDS, scope: requested.join(' ') };
  });
}

function assertionProblem(error: unknown, tokenUrl: string): OAuthError {
  if (error instanceof joseErrors.JWTExpired)
    return new OAuthError(400, 'invalid_grant', 'The assertion has expired. Sign a new one (exp at most 5 minutes ahead).');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return new OAuthError(401, 'invalid_client', `The assertion’s aud must be the token URL, ${tokenUrl}.`);
    return new OAuthError(400, 'invalid_grant', `The assertion’s ${error.claim} claim is missing or wrong.`);
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return new OAuthError(401, 'invalid_client', `The assertion must be signed with ${ASSERTION_ALGORITHMS.join(' or ')}.`);
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new OAuthError(401, 'invalid_client', 'The assertion’s signature does not match the public key registered for this system.');
  }
  return new OAuthError(401, 'invalid_client', 'The assertion could not be checked.');
}

// ---------------------------------------------------------------------------------------------
// Bearer tokens on each call

/** The system behind a bearer token, or undefined for an unknown, expired or revoked one. */
export async function authenticateBearer(pool: pg.Pool, token: string, now = new Date()): Promise<ApiClientActor | undefined> {
  if (token.length > 200) return undefined;
  const hash = hashToken(token);
  const tenantId = await q.tokenTenant(pool, hash);
  if (!tenantId) return undefined;
  return withTenant(pool, tenantId, (tx) => q.findLiveToken(tx, tenantId, hash, now));
}

/** Every call a system makes is in the audit trail, under the client id as its user. */
export async function auditCall(
  pool: pg.Pool,
  client: ApiClientActor,
  call: { method: string; route: string; status: number; requestId: string },
): Promise<void> {
  await withTenant(pool, client.tenantId, (tx) =>
    recordAudit(tx, {
      actor: { userId: client.clientId, roles: [] },
      tenantId: client.tenantId,
      action: 'api-client.call',
      entityType: 'api_client',
      entityId: client.clientId,
      reason: `${call.method} ${call.route} ${call.status}`,
      requestId: call.requestId,
    }),
  );
}

export function hasScope(client: ApiClientActor | undefined, scope: string): boolean {
  return !!client && covers(client.scopes, scope);
}
