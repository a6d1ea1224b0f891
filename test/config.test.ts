// Touches no database: runs once, in the PGlite pass (scripts/test.mjs).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
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
  assert.throws(() => loadConfig({ PGLITE_DIR: dataDir(), SIGNPOST_DEMO: 'false' }),
    (error: unknown) => error instanceof ConfigError && error.variable === 'SESSION_SECRET' && /SIGNPOST_DEMO/.test(error.message));
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
  ];
  for (const [env, variable] of cases) {
    assert.throws(() => loadConfig({ PGLITE_DIR: dataDir(), ...env }),
      (error: unknown) => error instanceof ConfigError && error.variable === variable && error.message.startsWith(variable),
      `expected ${variable} to be refused for ${JSON.stringify(env)}`);
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
  assert.throws(() => loadConfig({ ...base, NOTIFY_TEMPLATE_DISCHARGE_SUMARY_READY: id }), /NOTIFY_TEMPLATE_DISCHARGE_SUMARY_READY names no Signpost message/);
});
