// Touches no database: runs once, in the PGlite pass (scripts/test.mjs).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { exportPKCS8, generateKeyPair } from 'jose';
import { ConfigError, loadConfig } from '../src/config.ts';

const dataDir = () => mkdtempSync(path.join(tmpdir(), 'signpost-config-'));

test('defaults give an embedded database on 127.0.0.1:3000 in demo mode', () => {
  const dir = dataDir();
  const config = loadConfig({ PGLITE_DIR: dir });
  assert.equal(config.port, 3000);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.demo, true);
  assert.equal(config.baseUrl, 'http://127.0.0.1:3000');
});

test('in demo mode a missing session secret is generated once and kept under the data directory', () => {
  const dir = dataDir();
  const first = loadConfig({ PGLITE_DIR: dir });
  assert.ok(first.sessionSecret.length >= 32);
  assert.ok(existsSync(path.join(dir, 'session-secret')));
  assert.equal(readFileSync(path.join(dir, 'session-secret'), 'utf8'), first.sessionSecret);
  assert.equal(loadConfig({ PGLITE_DIR: dir }).sessionSecret, first.sessionSecret);
});

test('outside demo mode a missing session secret stops start-up and names the variable', () => {
  assert.throws(
    () => loadConfig({ PGLITE_DIR: dataDir(), SIGNPOST_DEMO: 'false' }),
    (error: unknown) => error instanceof ConfigError && error.variable === 'SESSION_SECRET' && /SIGNPOST_DEMO/.test(error.message),
  );
});

test('bad values are refused with a message naming the variable', () => {
  const cases: [Record<string, string>, string][] = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ SIGNPOST_DEMO: 'perhaps' }, 'SIGNPOST_DEMO'],
    [{ BASE_URL: 'ftp://example.org' }, 'BASE_URL'],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    [{ OIDC_ISSUER: 'https://login.example.org' }, 'OIDC_CLIENT_ID'],
    [{ PGLITE_SHARED_BUFFERS: 'lots' }, 'PGLITE_SHARED_BUFFERS'],
    [{ PGLITE_SHARED_BUFFERS: '64' }, 'PGLITE_SHARED_BUFFERS'],
    [{ PGLITE_SHARED_BUFFERS: '64kB' }, 'PGLITE_SHARED_BUFFERS'],
    [{ PGLITE_SHARED_BUFFERS: '2GB' }, 'PGLITE_SHARED_BUFFERS'],
  ];
  for (const [env, variable] of cases) {
    assert.throws(
      () => loadConfig({ PGLITE_DIR: dataDir(), ...env }),
      (error: unknown) => error instanceof ConfigError && error.variable === variable && error.message.startsWith(variable),
      `expected ${variable} to be refused for ${JSON.stringify(env)}`,
    );
  }
});

test('a PostgreSQL URL and https base URL are accepted', () => {
  const config = loadConfig({
    DATABASE_URL: 'postgres://signpost@db.internal:5432/signpost',
    BASE_URL: 'https://signpost.example.nhs.uk',
    SESSION_SECRET: 'x'.repeat(40),
    SIGNPOST_DEMO: 'false',
    PORT: '8080',
  });
  assert.equal(config.databaseUrl, 'postgres://signpost@db.internal:5432/signpost');
  assert.equal(config.port, 8080);
  assert.equal(config.demo, false);
});

test('a read replica needs a primary server, and its lag bound is whole seconds', () => {
  const base = { SIGNPOST_DEMO: 'false', SESSION_SECRET: 'x'.repeat(32) };
  assert.throws(() => loadConfig({ ...base, DATABASE_READ_URL: 'postgres://replica/signpost' }), /DATABASE_READ_URL needs DATABASE_URL/);
  const config = loadConfig({ ...base, DATABASE_URL: 'postgres://primary/signpost', DATABASE_READ_URL: 'postgres://replica/signpost' });
  assert.equal(config.databaseReadUrl, 'postgres://replica/signpost');
  assert.equal(config.replicaMaxLagSeconds, 10);
  assert.throws(() => loadConfig({ ...base, REPLICA_MAX_LAG_SECONDS: '0.5' }), /REPLICA_MAX_LAG_SECONDS must be a whole number/);
});

test('a Notify template id is taken only for a message Signpost sends, whichever separator its name uses', () => {
  const base = { PGLITE_DIR: dataDir(), SIGNPOST_DEMO: 'true' };
  const id = '8f0c7c5e-3b3a-4c6e-9d49-1d8c1f9d2a01';
  const config = loadConfig({ ...base, NOTIFY_TEMPLATE_PASSWORD_RESET: id, NOTIFY_TEMPLATE_APPOINTMENT_REMINDER: id });
  assert.deepEqual(config.notifyTemplates, { password_reset: id, appointment_reminder: id });
  assert.throws(
    () => loadConfig({ ...base, NOTIFY_TEMPLATE_DISCHARGE_SUMARY_READY: id }),
    /NOTIFY_TEMPLATE_DISCHARGE_SUMARY_READY names no Signpost message/,
  );
});

async function keyFile(alg: string): Promise<string> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const file = path.join(dataDir(), 'client.pem');
  writeFileSync(file, await exportPKCS8(privateKey));
  return file;
}

const oidcBase = {
  SIGNPOST_DEMO: 'false',
  SESSION_SECRET: 'x'.repeat(32),
  OIDC_ISSUER: 'https://am.nhsint.auth-ptl.cis2.spineservices.nhs.uk/openam/oauth2/realms/root/realms/oidc',
  OIDC_CLIENT_ID: '12345.apps.supplier',
};

/** The single line start-up prints for a refused configuration (src/main.ts). */
function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    assert.ok(error.message.startsWith(error.variable), 'the line starts with the variable');
    return error;
  }
  assert.fail(`expected ${JSON.stringify(env)} to be refused`);
}

test('a PKCS#8 private key for private_key_jwt signs RS512 for RSA and ES256 or ES384 for EC unless told otherwise', async () => {
  const rsa = await keyFile('RS256');
  const config = loadConfig({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: rsa, OIDC_CLIENT_KEY_ID: ' signpost-2026 ' });
  assert.deepEqual(
    { ...config.oidc!.clientAuthentication, pkcs8Pem: undefined },
    { method: 'private_key_jwt', keyPath: rsa, pkcs8Pem: undefined, alg: 'RS512', keyId: 'signpost-2026' },
  );
  const ps = loadConfig({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: rsa, OIDC_CLIENT_SIGNING_ALG: 'PS256' }).oidc!.clientAuthentication;
  assert.equal(ps.method === 'private_key_jwt' && ps.alg, 'PS256');
  const es256 = loadConfig({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: await keyFile('ES256') }).oidc!.clientAuthentication;
  assert.equal(es256.method === 'private_key_jwt' && es256.alg, 'ES256');
  const es384 = loadConfig({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: await keyFile('ES384') }).oidc!.clientAuthentication;
  assert.equal(es384.method === 'private_key_jwt' && es384.alg, 'ES384');
  assert.deepEqual(loadConfig({ ...oidcBase, OIDC_CLIENT_SECRET: 's3cret' }).oidc!.clientAuthentication, {
    method: 'client_secret_post',
    secret: 's3cret',
  });
});

test('a client secret and a private key together, an unreadable key, or a key that does not fit its algorithm each stop start-up with one line', async () => {
  const rsa = await keyFile('RS512');
  const ec = await keyFile('ES256');
  const both = refusal({ ...oidcBase, OIDC_CLIENT_SECRET: 's3cret', OIDC_CLIENT_PRIVATE_KEY: rsa });
  assert.equal(both.variable, 'OIDC_CLIENT_PRIVATE_KEY');
  assert.match(both.message, /OIDC_CLIENT_SECRET are both set/);

  const missing = path.join(dataDir(), 'no-such-key.pem');
  const unreadable = refusal({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: missing });
  assert.equal(unreadable.message, `OIDC_CLIENT_PRIVATE_KEY names a file that cannot be read: ${missing}`);

  const mismatch = refusal({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: ec, OIDC_CLIENT_SIGNING_ALG: 'RS512' });
  assert.equal(
    mismatch.message,
    'OIDC_CLIENT_SIGNING_ALG is RS512, which does not fit the EC P-256 key in OIDC_CLIENT_PRIVATE_KEY; use ES256',
  );
  assert.equal(
    refusal({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: rsa, OIDC_CLIENT_SIGNING_ALG: 'ES256' }).variable,
    'OIDC_CLIENT_SIGNING_ALG',
  );
  assert.equal(
    refusal({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: rsa, OIDC_CLIENT_SIGNING_ALG: 'HS256' }).variable,
    'OIDC_CLIENT_SIGNING_ALG',
  );

  assert.equal(refusal(oidcBase).message, 'OIDC_CLIENT_SECRET or OIDC_CLIENT_PRIVATE_KEY must be set when OIDC_ISSUER is set');
  assert.equal(refusal({ ...oidcBase, OIDC_CLIENT_SECRET: 's3cret', OIDC_CLIENT_KEY_ID: 'k1' }).variable, 'OIDC_CLIENT_KEY_ID');
});

test('a private key file that is not an unencrypted PKCS#8 RSA or EC key of a usable size is refused, saying what to do', () => {
  const write = (pem: string) => {
    const file = path.join(dataDir(), 'client.pem');
    writeFileSync(file, pem);
    return file;
  };
  const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  assert.match(refusal({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: write(pkcs1) }).message, /older format.*openssl pkcs8 -topk8/);
  const encrypted = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: 'secret',
  }) as string;
  assert.match(refusal({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: write(encrypted) }).message, /encrypted key/);
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  assert.match(refusal({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: write(small) }).message, /1024-bit RSA key; use 2048 bits or more/);
  const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  assert.match(refusal({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: write(ed) }).message, /holds a key of type ed25519/);
  const certificate = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  assert.match(refusal({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: write(certificate) }).message, /must name a PEM PKCS#8 private key/);
  assert.match(
    refusal({ ...oidcBase, OIDC_CLIENT_PRIVATE_KEY: write('-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n') }).message,
    /is not one/,
  );
});
