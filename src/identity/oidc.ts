import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, importPKCS8, type JWK } from 'jose';
import * as client from 'openid-client';
import type pg from 'pg';
import type { Config, OidcClientKey } from '../config.ts';
import { withTransaction } from '../db/transaction.ts';
import { recordAudit } from './audit.ts';
import * as q from './queries.ts';
import { startSession } from './service.ts';

/** What must survive the round trip to the identity provider, kept in a signed short-lived cookie. */
export interface OidcPending {
  state: string;
  nonce: string;
  verifier: string;
  returnTo?: string;
}

export const OIDC_COOKIE = 'signpost_oidc';
export const OIDC_COOKIE_SECONDS = 10 * 60;

export function callbackUrl(config: Config): string {
  return new URL('/sign-in/oidc/callback', config.baseUrl).toString();
}

const isLoopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

/** The key Signpost signs its client assertions with (private_key_jwt), and its public half for the JWKS. */
export interface ClientSigningKey {
  privateKey: CryptoKey;
  kid: string;
  /** Only public members, with kid, alg and use: what /.well-known/jwks.json publishes. */
  publicJwk: JWK;
}

export async function loadClientSigningKey(key: OidcClientKey): Promise<ClientSigningKey> {
  const privateKey = await importPKCS8(key.pkcs8Pem, key.alg);
  const { kty, n, e, crv, x, y } = createPublicKey(key.pkcs8Pem).export({ format: 'jwk' });
  const members = Object.fromEntries(Object.entries({ kty, n, e, crv, x, y }).filter(([, v]) => v !== undefined)) as JWK;
  // Without a kid from the provider's registration, the RFC 7638 thumbprint names the key stably.
  const kid = key.keyId ?? (await calculateJwkThumbprint(members, 'sha256'));
  return { privateKey, kid, publicJwk: { ...members, kid, alg: key.alg, use: 'sig' } };
}

/** Discovers the provider once per process; a failed discovery is retried on the next sign-in. */
export function oidcClient(config: Config, signingKey?: ClientSigningKey): () => Promise<client.Configuration> {
  let discovered: Promise<client.Configuration> | undefined;
  let tokenEndpoint: string | undefined;
  const clientAuthentication = signingKey
    ? client.PrivateKeyJwt(
        { key: signingKey.privateKey, kid: signingKey.kid },
        {
          // OpenID Connect Core section 9: the audience should be the token endpoint, which is what NHS
          // CIS2 expects; openid-client would put the issuer there.
          [client.modifyAssertion]: (_header, payload) => {
            if (tokenEndpoint) payload.aud = tokenEndpoint;
          },
        },
      )
    : undefined;
  return () => {
    if (!config.oidc) throw new Error('Single sign-on is not configured.');
    const { issuer, clientId, clientAuthentication: method } = config.oidc;
    if (method.method === 'private_key_jwt' && !signingKey) throw new Error('The private_key_jwt signing key was not loaded.');
    const url = new URL(issuer);
    // Plain http only for a provider on this machine (development and tests); anywhere else https.
    const options = url.protocol === 'http:' && isLoopback(url) ? { execute: [client.allowInsecureRequests] } : undefined;
    // A client secret given as the metadata means client_secret_post.
    const metadata = method.method === 'client_secret_post' ? method.secret : undefined;
    discovered ??= client.discovery(url, clientId, metadata, clientAuthentication, options).then((configuration) => {
      tokenEndpoint = configuration.serverMetadata().token_endpoint;
      return configuration;
    });
    discovered.catch(() => {
      discovered = undefined;
    });
    return discovered;
  };
}

export async function startOidc(
  configuration: client.Configuration,
  config: Config,
  returnTo?: string,
): Promise<{ url: string; pending: OidcPending }> {
  const verifier = client.randomPKCECodeVerifier();
  const pending: OidcPending = { state: client.randomState(), nonce: client.randomNonce(), verifier, returnTo };
  const url = client.buildAuthorizationUrl(configuration, {
    redirect_uri: callbackUrl(config),
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
  });
  return { url: url.toString(), pending };
}

export type OidcOutcome =
  | { ok: true; sessionToken: string; tenants: q.TenantChoice[]; returnTo?: string }
  | { ok: false; status: 400 | 403; title: string; message: string; detail?: string };

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // openid-client's ResponseBodyError carries the provider's OAuth error code and description.
  const { error: code, error_description: description } = error as Error & { error?: unknown; error_description?: unknown };
  return [error.message, code, description].filter((part) => typeof part === 'string' && part).join(': ');
}

/**
 * Finishes the code flow and maps the person to an existing Signpost user by email. A login
 * that matches no active user with a role, or a user already linked to another subject, is refused.
 */
export async function finishOidc(
  pool: pg.Pool,
  configuration: client.Configuration,
  currentUrl: URL,
  pending: OidcPending,
  context: { requestId?: string; previousSessionHash?: string },
): Promise<OidcOutcome> {
  let email: string | undefined;
  let subject: string;
  try {
    const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    subject = claims.sub;
    email = typeof claims.email === 'string' ? claims.email : undefined;
    if (!email && tokens.access_token) {
      const info = await client.fetchUserInfo(configuration, tokens.access_token, subject);
      email = typeof info.email === 'string' ? info.email : undefined;
    }
  } catch (error) {
    return {
      ok: false,
      status: 400,
      title: 'Single sign-on did not finish',
      message: 'Your organisation did not confirm who you are. Go back to the sign-in page and try again.',
      // For the log: a provider refusing the client (invalid_client) means its registration and ours differ.
      detail: describeFailure(error),
    };
  }
  const refused = (reason: string, tenantId: string | null = null) =>
    recordAudit(pool, {
      tenantId,
      action: 'sign-in.failure',
      entityType: 'user',
      reason: `single sign-on: ${reason}`,
      requestId: context.requestId,
    });
  const notRegistered = {
    ok: false as const,
    status: 403 as const,
    title: 'Your account is not set up in Signpost',
    message: `You signed in with your organisation as ${email ?? 'an account without an email address'}, but no Signpost user has that email address. Ask your Signpost administrator to invite you with it.`,
  };
  if (!email) {
    await refused('no email claim');
    return notRegistered;
  }
  const user = await q.findUserByEmail(pool, email);
  const tenants = user?.active ? await q.tenantsOfUser(pool, user.id) : [];
  if (!user || tenants.length === 0) {
    await refused('no matching user');
    return notRegistered;
  }
  const linked = await q.oidcSubjectOf(pool, user.id);
  if (linked && linked !== subject) {
    for (const t of tenants) await refused('a different organisation account is linked to this user', t.id);
    return {
      ok: false,
      status: 403,
      title: 'This account is linked to someone else',
      message: 'Your Signpost account is linked to a different organisation account. Ask your Signpost administrator for help.',
    };
  }
  return withTransaction(pool, async (tx) => {
    await q.linkOidcSubject(tx, user.id, subject);
    const sessionToken = await startSession(tx, user.id, tenants, { ...context, reason: 'single sign-on' });
    return { ok: true as const, sessionToken, tenants, returnTo: pending.returnTo };
  });
}
