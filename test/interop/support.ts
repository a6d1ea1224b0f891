import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { Database } from '../../src/db/database.ts';
import type { Actor } from '../../src/identity/actor.ts';
import { ASSERTION_TYPE, registerClient } from '../../src/interop/clients/service.ts';
import { NEED_SYSTEM, CONSENT_TO_REFER, CONSENT_TO_SHARE, NHS_NUMBER_SYSTEM } from '../../src/interop/fhir/mapping.ts';
import { testApp } from '../support/app.ts';
import { anActor } from '../support/factories.ts';
import { aTestNhsNumber } from '../support/referrals-factories.ts';

export const GP_SCOPES =
  'system/ServiceRequest.write system/ServiceRequest.read system/Task.read system/Task.write system/Patient.read system/DocumentReference.read';

export interface TestSystem {
  clientId: string;
  tenantId: string;
  privateKey: CryptoKey;
  alg: 'RS384' | 'ES384';
}

/** A system registered by an admin of the tenant, with a fresh key pair (RS384 unless ES384 is asked for). */
export async function aSystem(
  database: Database,
  options: { admin?: Actor; tenantId?: string; scopes?: string; alg?: 'RS384' | 'ES384'; practiceId?: string; name?: string } = {},
): Promise<TestSystem> {
  const admin = options.admin ?? (await anActor(database, { tenantId: options.tenantId, roles: ['admin'] }));
  const alg = options.alg ?? 'RS384';
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), alg, kid: randomUUID() };
  const clientId = await registerClient(database.pool, admin, {
    name: options.name ?? 'Hometown Surgery GP system',
    scopes: options.scopes ?? GP_SCOPES,
    jwks: JSON.stringify({ keys: [jwk] }),
    practiceId: options.practiceId ?? '',
  });
  return { clientId, tenantId: admin.tenantId, privateKey, alg };
}

/** A client assertion as SMART backend services describes it; `claims` and `options` bend it for tests. */
export async function anAssertion(
  system: Pick<TestSystem, 'clientId' | 'privateKey' | 'alg'>,
  aud: string,
  claims: JWTPayload = {},
  options: { expiresIn?: number; now?: Date } = {},
): Promise<string> {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: system.alg, typ: 'JWT' })
    .setIssuer(system.clientId)
    .setSubject(claims.sub ?? system.clientId)
    .setAudience(aud)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 240))
    .sign(system.privateKey);
}

export function tokenForm(assertion: string, scope = GP_SCOPES): Record<string, string> {
  return { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion, scope };
}

/** Asks the app for a token as the system would, over app.inject. */
export async function aToken(app: FastifyInstance, system: TestSystem, scope = GP_SCOPES): Promise<string> {
  const assertion = await anAssertion(system, `${app.config.baseUrl}/oauth/token`);
  const res = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(tokenForm(assertion, scope)).toString(),
  });
  if (res.statusCode !== 200) throw new Error(`token refused: ${res.body}`);
  return (res.json() as { access_token: string }).access_token;
}

/** A UK Core Patient and a Signpost ServiceRequest for it, as a GP system would send them. */
export function aReferralBundle(
  overrides: { nhsNumber?: string; consentToRefer?: boolean; family?: string; reasons?: string[]; identifier?: string } = {},
) {
  const patientUrl = `urn:uuid:${randomUUID()}`;
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: patientUrl,
        resource: {
          resourceType: 'Patient',
          identifier: [{ system: NHS_NUMBER_SYSTEM, value: overrides.nhsNumber ?? aTestNhsNumber() }],
          name: [{ use: 'official', family: overrides.family ?? 'Fhirperson', given: ['Morgan'] }],
          gender: 'female',
          birthDate: '1958-03-14',
          telecom: [{ system: 'phone', value: '07700 900456' }],
          address: [{ line: ['1 Park Lane'], city: 'Leeds', postalCode: 'LS1 1AA' }],
        },
        request: { method: 'POST', url: 'Patient' },
      },
      {
        fullUrl: `urn:uuid:${randomUUID()}`,
        resource: {
          resourceType: 'ServiceRequest',
          identifier: [{ system: 'https://gp-system.example/referral', value: overrides.identifier ?? `R-${randomUUID().slice(0, 8)}` }],
          extension: [
            { url: CONSENT_TO_REFER, valueBoolean: overrides.consentToRefer ?? true },
            { url: CONSENT_TO_SHARE, valueBoolean: true },
          ],
          status: 'active',
          intent: 'order',
          priority: 'routine',
          subject: { reference: patientUrl },
          requester: { display: 'Dr Jan Water' },
          reasonCode: (overrides.reasons ?? ['loneliness']).map((code) => ({ coding: [{ system: NEED_SYSTEM, code }] })),
          note: [{ text: 'Widowed last year; rarely leaves the house.' }],
        },
        request: { method: 'POST', url: 'ServiceRequest' },
      },
    ],
  };
}

/**
 * The app listening on a free loopback port in the range these tests may use, with BASE_URL set
 * to it before it is built (token audiences and FHIR links name it).
 */
export async function anAppOnLoopback(database: Database): Promise<{ app: FastifyInstance; baseUrl: string }> {
  for (let port = 3700 + (process.pid % 50); port < 3800; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer()
        .once('error', () => resolve(false))
        .listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) continue;
    const baseUrl = `http://127.0.0.1:${port}`;
    const app = await testApp(database, { BASE_URL: baseUrl });
    await app.listen({ port, host: '127.0.0.1' });
    return { app, baseUrl };
  }
  throw new Error('no free port in 3700-3799');
}
