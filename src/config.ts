import cronParser from 'cron-parser';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TEMPLATE_KEYS } from './jobs/templates.ts';
import { isUuid } from './db/ids.ts';

/** Everything Signpost reads from its environment, typed and checked once at start-up. */
export interface Config {
  port: number;
  host: string;
  /** A PostgreSQL server; when unset Signpost runs on embedded PGlite under `pgliteDir`. */
  databaseUrl: string | undefined;
  pgliteDir: string;
  /**
   * The embedded database's shared buffers (PGLITE_SHARED_BUFFERS, e.g. 16MB or 256MB); unset keeps
   * PostgreSQL's 128 MB. Ignored with DATABASE_URL, whose server has its own setting.
   */
  pgliteSharedBuffers: string | undefined;
  /** A streaming replica of DATABASE_URL for read-only work (DATABASE_READ_URL); unset sends everything to the primary. */
  databaseReadUrl: string | undefined;
  /** A replica further behind than this is skipped in favour of the primary (REPLICA_MAX_LAG_SECONDS, default 10). */
  replicaMaxLagSeconds: number;
  /** Seed the fictional demo service into an empty database. */
  demo: boolean;
  sessionSecret: string;
  baseUrl: string;
  logLevel: string;
  oidc: OidcConfig | undefined;
  notifyApiKey: string | undefined;
  notifyBaseUrl: string | undefined;
  /** Run the durable job worker inside `signpost serve`. */
  runWorker: boolean;
  /** GOV.UK Notify template ids by our template name, from NOTIFY_TEMPLATE_<NAME> (e.g. NOTIFY_TEMPLATE_INVITATION). */
  notifyTemplates: Record<string, string>;
  /** How long a job worker's claim lasts; a worker that dies holds its jobs this long at most. */
  jobLockSeconds: number;
  /** The tenant public self-referrals land in (SELF_REFERRAL_TENANT); when unset, the first tenant created. */
  selfReferralTenantId: string | undefined;
  /** Months after which a directory service not checked by a curator is flagged (DIRECTORY_FRESHNESS_MONTHS, default 6). */
  directoryFreshnessMonths: number;
  /** ORUK API feeds the job worker re-imports, each on its own schedule (ORUK_FEED_URLS); none by default. */
  orukFeeds: OrukFeed[];
  /**
   * Proxies whose X-Forwarded-For is believed (TRUST_PROXY: addresses or CIDRs, comma-separated;
   * none by default). Anyone else's header is ignored, so it cannot dodge per-address limits.
   */
  trustProxy: string[];
  /**
   * Map tiles for the search results map (MAP_TILE_URL, a {z}/{x}/{y} template, with
   * MAP_TILE_ATTRIBUTION); without them there is no map and nothing external is loaded.
   */
  mapTiles: MapTiles | undefined;
  /** The MESH mailbox discharge summaries go to GP records from (GP Connect Send Document); unset: not sent electronically. */
  mesh: MeshConfig | undefined;
}

/** Single sign-on through an OpenID Connect provider (OIDC_ISSUER and friends). */
export interface OidcConfig {
  issuer: string;
  clientId: string;
  /** How Signpost proves itself at the provider's token endpoint: exactly one of the two is set. */
  clientAuthentication: { method: 'client_secret_post'; secret: string } | OidcClientKey;
}

/** JWS algorithms for a client assertion, by the kind of key that can make them (RFC 7518). */
export const RSA_SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
const EC_SIGNING_ALG_BY_CURVE: Record<string, string> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
const CURVE_NAMES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/**
 * private_key_jwt (OpenID Connect Core section 9, RFC 7523), as NHS CIS2 asks: a PKCS#8 private key
 * (OIDC_CLIENT_PRIVATE_KEY) that signs each client assertion with `alg`, and whose public half is
 * published at /.well-known/jwks.json under `keyId` (OIDC_CLIENT_KEY_ID; when unset, the key's
 * RFC 7638 thumbprint).
 */
export interface OidcClientKey {
  method: 'private_key_jwt';
  keyPath: string;
  pkcs8Pem: string;
  alg: string;
  keyId: string | undefined;
}

/** A raster tile server: its URL template, the credit its licence asks for, and its origin for the CSP. */
export interface MapTiles {
  url: string;
  attribution: string;
  origin: string;
}

/**
 * A MESH mailbox (MESH_URL and friends). Real MESH is HTTPS with mutual TLS: the client certificate
 * and key issued for the mailbox, and the CA that signed MESH's server certificate; plain HTTP is
 * accepted only on loopback (NHS England's MESH sandbox in tests).
 */
export interface MeshConfig {
  url: string;
  mailboxId: string;
  password: string;
  sharedKey: string;
  /** The sending organisation's ODS code, put in every ITK3 message (MESH_SENDER_ODS_CODE). */
  senderOdsCode: string;
  /** The service's telephone number for the practice, in the ITK3 message (MESH_SENDER_PHONE; optional). */
  senderPhone: string | undefined;
  /** File paths (MESH_CLIENT_CERT, MESH_CLIENT_KEY, MESH_CA_CERT), PEM. */
  clientCertPath: string | undefined;
  clientKeyPath: string | undefined;
  caCertPath: string | undefined;
}

/** An ORUK API feed re-imported on a schedule: a five-field cron in London time. */
export interface OrukFeed {
  url: string;
  cron: string;
}

/** When a feed names no schedule: every night at 02:30, London time. */
export const DEFAULT_FEED_CRON = '30 2 * * *';

/** A configuration value that cannot be used; start-up prints its message as one line. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

function readPort(env: Env): number {
  const raw = env.PORT ?? '3000';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 0 || port > 65535) {
    throw new ConfigError('PORT', `must be a whole number from 0 to 65535 (got "${raw}")`);
  }
  return port;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

function readUrl(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
}

/**
 * In demo mode a missing secret is generated once and kept beside the data, so sessions
 * survive a restart; anywhere else a missing secret stops start-up.
 */
function readSessionSecret(env: Env, demo: boolean, dataDir: string): string {
  const given = env.SESSION_SECRET;
  if (given) {
    if (given.length < 32) throw new ConfigError('SESSION_SECRET', 'must be at least 32 characters long');
    return given;
  }
  if (!demo) throw new ConfigError('SESSION_SECRET', 'must be set when SIGNPOST_DEMO is false');
  const file = path.join(dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** Our template names are lower case with underscores: NOTIFY_TEMPLATE_SELF_REFERRAL -> self_referral. */
function readNotifyTemplates(env: Env): Record<string, string> {
  const templates: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = /^NOTIFY_TEMPLATE_([A-Z0-9_]+)$/.exec(name);
    if (!match || !value) continue;
    if (!TEMPLATE_KEYS.has(match[1]!.toLowerCase())) {
      throw new ConfigError(
        name,
        `names no Signpost message; the templates are ${[...TEMPLATE_KEYS].map((k) => k.toUpperCase()).join(', ')}`,
      );
    }
    if (!isUuid(value)) {
      throw new ConfigError(name, 'must be a GOV.UK Notify template id (a UUID)');
    }
    templates[match[1]!.toLowerCase()] = value.toLowerCase();
  }
  return templates;
}

function readJobLockSeconds(env: Env): number {
  const raw = env.JOB_LOCK_SECONDS || '300';
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds < 1 || seconds > 86_400) {
    throw new ConfigError('JOB_LOCK_SECONDS', `must be a whole number of seconds from 1 to 86400 (got "${raw}")`);
  }
  return seconds;
}

function readPgliteSharedBuffers(env: Env): string | undefined {
  const raw = env.PGLITE_SHARED_BUFFERS?.trim();
  if (!raw) return undefined;
  const match = /^(\d+)(kB|MB|GB)$/.exec(raw);
  const megabytes = match ? Number(match[1]) / (match[2] === 'kB' ? 1024 : match[2] === 'GB' ? 1 / 1024 : 1) : NaN;
  // PostgreSQL refuses less than 128 kB; past 1 GB the embedded database's 32-bit memory runs out.
  if (!(megabytes >= 0.125 && megabytes <= 1024)) {
    throw new ConfigError('PGLITE_SHARED_BUFFERS', `must be a size from 128kB to 1GB, such as 16MB or 256MB (got "${raw}")`);
  }
  return raw;
}

function readSelfReferralTenant(env: Env): string | undefined {
  const raw = env.SELF_REFERRAL_TENANT;
  if (!raw) return undefined;
  if (!isUuid(raw)) {
    throw new ConfigError('SELF_REFERRAL_TENANT', 'must be a tenant id (a UUID)');
  }
  return raw.toLowerCase();
}

function readFreshnessMonths(env: Env): number {
  const raw = env.DIRECTORY_FRESHNESS_MONTHS || '6';
  if (!/^\d{1,2}$/.test(raw) || Number(raw) < 1 || Number(raw) > 36) {
    throw new ConfigError('DIRECTORY_FRESHNESS_MONTHS', `must be a whole number of months from 1 to 36 (got "${raw}")`);
  }
  return Number(raw);
}

/**
 * ORUK_FEED_URLS: comma-separated feeds, each a URL optionally followed by `|` and its own cron,
 * e.g. `https://a.example/api/oruk, https://b.example/api/oruk|0 6 * * 1,4`. A comma splits feeds
 * only where a new address starts, so a cron may list days with commas.
 */
function readFeeds(env: Env): OrukFeed[] {
  const raw = env.ORUK_FEED_URLS;
  if (!raw) return [];
  return raw
    .split(/,(?=\s*[a-zA-Z][a-zA-Z0-9+.-]*:)/)
    .map((entry) => entry.trim().replace(/,+$/, '').trim())
    .filter(Boolean)
    .map((entry) => {
      const [address, schedule] = entry.split('|').map((part) => part.trim());
      const url = readUrl({ ORUK_FEED_URLS: address }, 'ORUK_FEED_URLS', ['http:', 'https:'])!;
      const cron = schedule || DEFAULT_FEED_CRON;
      try {
        if (cron.split(/\s+/).length !== 5) throw new Error('five fields');
        cronParser.parseExpression(cron, { tz: 'Europe/London' });
      } catch {
        throw new ConfigError(
          'ORUK_FEED_URLS',
          `has a schedule "${cron}" for ${url} that is not a five-field cron (minute hour day month weekday), like "30 2 * * *"`,
        );
      }
      return { url, cron };
    });
}

// Names proxy-addr (Fastify's trustProxy) understands for whole ranges.
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function readMapTiles(env: Env): MapTiles | undefined {
  const url = readUrl(env, 'MAP_TILE_URL', ['http:', 'https:']);
  if (!url) return undefined;
  if (!['{z}', '{x}', '{y}'].every((part) => url.includes(part))) {
    throw new ConfigError('MAP_TILE_URL', 'must hold {z}, {x} and {y}, like https://tiles.example.org/{z}/{x}/{y}.png');
  }
  const attribution = env.MAP_TILE_ATTRIBUTION?.trim();
  // Tile licences (OpenStreetMap's among them) require the credit on the map.
  if (!attribution)
    throw new ConfigError('MAP_TILE_ATTRIBUTION', 'must be set when MAP_TILE_URL is set (the credit the tile licence asks for)');
  // A {s} subdomain placeholder would need a wildcard in the CSP; one host is allowed exactly.
  if (url.includes('{s}')) throw new ConfigError('MAP_TILE_URL', 'must name one host, without {s}');
  return { url, attribution, origin: new URL(url).origin };
}

function readTrustProxy(env: Env): string[] {
  const raw = env.TRUST_PROXY;
  if (!raw || !raw.trim()) return [];
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      if (PROXY_RANGE_NAMES.includes(entry)) return entry;
      const [address, prefix, extra] = entry.split('/');
      const version = isIP(address ?? '');
      const widest = version === 6 ? 128 : 32;
      const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= widest);
      if (!version || !prefixOk || extra !== undefined) {
        throw new ConfigError(
          'TRUST_PROXY',
          `has "${entry}", which is not an IP address or CIDR range (like 10.0.0.1 or 10.0.0.0/8) or one of ${PROXY_RANGE_NAMES.join(', ')}`,
        );
      }
      return entry;
    });
}

function readReplicaLag(env: Env): number {
  const raw = env.REPLICA_MAX_LAG_SECONDS || '10';
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > 3600) {
    throw new ConfigError('REPLICA_MAX_LAG_SECONDS', `must be a whole number of seconds from 1 to 3600 (got "${raw}")`);
  }
  return Number(raw);
}

const MESH_MAILBOX = /^[A-Z0-9]{3,20}$/;

function readMesh(env: Env): MeshConfig | undefined {
  const url = readUrl(env, 'MESH_URL', ['http:', 'https:']);
  const others = [
    'MESH_MAILBOX_ID',
    'MESH_MAILBOX_PASSWORD',
    'MESH_SHARED_KEY',
    'MESH_SENDER_ODS_CODE',
    'MESH_CLIENT_CERT',
    'MESH_CLIENT_KEY',
    'MESH_CA_CERT',
  ];
  if (!url) {
    const stray = others.find((name) => env[name]);
    if (stray) throw new ConfigError(stray, 'is set but MESH_URL is not: set MESH_URL too, or unset it');
    return undefined;
  }
  for (const name of ['MESH_MAILBOX_ID', 'MESH_MAILBOX_PASSWORD', 'MESH_SHARED_KEY', 'MESH_SENDER_ODS_CODE']) {
    if (!env[name]) throw new ConfigError(name, 'must be set when MESH_URL is set');
  }
  const mailboxId = env.MESH_MAILBOX_ID!.trim().toUpperCase();
  if (!MESH_MAILBOX.test(mailboxId))
    throw new ConfigError('MESH_MAILBOX_ID', `must be a MESH mailbox id, letters and digits like X26ABC1 (got "${env.MESH_MAILBOX_ID}")`);
  const senderOdsCode = env.MESH_SENDER_ODS_CODE!.trim().toUpperCase();
  if (!/^[A-Z0-9]{3,10}$/.test(senderOdsCode))
    throw new ConfigError('MESH_SENDER_ODS_CODE', `must be an ODS code, 3 to 10 letters and digits (got "${env.MESH_SENDER_ODS_CODE}")`);
  const file = (name: string) => {
    const value = env[name];
    if (!value) return undefined;
    const resolved = path.resolve(value);
    try {
      readFileSync(resolved);
    } catch {
      throw new ConfigError(name, `names a file that cannot be read: ${resolved}`);
    }
    return resolved;
  };
  const clientCertPath = file('MESH_CLIENT_CERT');
  const clientKeyPath = file('MESH_CLIENT_KEY');
  const caCertPath = file('MESH_CA_CERT');
  if (!!clientCertPath !== !!clientKeyPath)
    throw new ConfigError(
      clientCertPath ? 'MESH_CLIENT_KEY' : 'MESH_CLIENT_CERT',
      'must be set with its pair: MESH needs both the client certificate and its key',
    );
  const { protocol, hostname } = new URL(url);
  if (protocol === 'https:' && !clientCertPath)
    throw new ConfigError(
      'MESH_CLIENT_CERT',
      'must be set for an https MESH_URL: MESH needs mutual TLS (MESH_CLIENT_CERT and MESH_CLIENT_KEY)',
    );
  if (protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) {
    throw new ConfigError('MESH_URL', 'must be https (plain http only to a MESH sandbox on this machine)');
  }
  return {
    url: url.replace(/\/+$/, ''),
    mailboxId,
    password: env.MESH_MAILBOX_PASSWORD!,
    sharedKey: env.MESH_SHARED_KEY!,
    senderOdsCode,
    senderPhone: env.MESH_SENDER_PHONE?.trim() || undefined,
    clientCertPath,
    clientKeyPath,
    caCertPath,
  };
}

function readOidcClientAuthentication(env: Env): OidcConfig['clientAuthentication'] {
  const secret = env.OIDC_CLIENT_SECRET;
  const keyFile = env.OIDC_CLIENT_PRIVATE_KEY;
  if (secret && keyFile) {
    throw new ConfigError(
      'OIDC_CLIENT_PRIVATE_KEY',
      'and OIDC_CLIENT_SECRET are both set: keep the one your provider registered (NHS CIS2 uses the private key) and unset the other',
    );
  }
  if (!keyFile) {
    const stray = ['OIDC_CLIENT_KEY_ID', 'OIDC_CLIENT_SIGNING_ALG'].find((name) => env[name]);
    if (stray)
      throw new ConfigError(stray, 'is set but OIDC_CLIENT_PRIVATE_KEY is not: it describes the private key, so set that too, or unset it');
    if (!secret) throw new ConfigError('OIDC_CLIENT_SECRET', 'or OIDC_CLIENT_PRIVATE_KEY must be set when OIDC_ISSUER is set');
    return { method: 'client_secret_post', secret };
  }
  return readOidcClientKey(env, keyFile);
}

function readOidcClientKey(env: Env, keyFile: string): OidcClientKey {
  const name = 'OIDC_CLIENT_PRIVATE_KEY';
  const keyPath = path.resolve(keyFile);
  let pkcs8Pem: string;
  try {
    pkcs8Pem = readFileSync(keyPath, 'utf8');
  } catch {
    throw new ConfigError(name, `names a file that cannot be read: ${keyPath}`);
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pkcs8Pem)) {
    throw new ConfigError(name, `names an encrypted key (${keyPath}); Signpost needs it unencrypted, readable only by the service account`);
  }
  const older = /-----BEGIN (RSA|EC) PRIVATE KEY-----/.exec(pkcs8Pem);
  if (older) {
    throw new ConfigError(
      name,
      `names an ${older[1]} key in the older format (${keyPath}); convert it to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in old.pem -out key.pem`,
    );
  }
  let key: KeyObject;
  try {
    if (!/-----BEGIN PRIVATE KEY-----/.test(pkcs8Pem)) throw new Error('not PKCS#8');
    key = createPrivateKey({ key: pkcs8Pem, format: 'pem' });
  } catch {
    throw new ConfigError(name, `must name a PEM PKCS#8 private key ("-----BEGIN PRIVATE KEY-----"), RSA or EC; ${keyPath} is not one`);
  }
  const given = env.OIDC_CLIENT_SIGNING_ALG?.trim();
  let alg: string;
  if (key.asymmetricKeyType === 'rsa') {
    // RFC 7518 section 3.3: RSA signing keys of 2048 bits or more.
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new ConfigError(name, `is a ${bits}-bit RSA key; use 2048 bits or more`);
    alg = given || 'RS512';
    if (!(RSA_SIGNING_ALGS as readonly string[]).includes(alg)) {
      throw new ConfigError(
        'OIDC_CLIENT_SIGNING_ALG',
        `is ${alg}, which does not fit the RSA key in OIDC_CLIENT_PRIVATE_KEY; use one of ${RSA_SIGNING_ALGS.join(', ')} (NHS CIS2 asks for RS512)`,
      );
    }
  } else if (key.asymmetricKeyType === 'ec' && EC_SIGNING_ALG_BY_CURVE[key.asymmetricKeyDetails?.namedCurve ?? '']) {
    const curve = key.asymmetricKeyDetails!.namedCurve!;
    const fits = EC_SIGNING_ALG_BY_CURVE[curve]!;
    alg = given || fits;
    if (alg !== fits) {
      throw new ConfigError(
        'OIDC_CLIENT_SIGNING_ALG',
        `is ${alg}, which does not fit the EC ${CURVE_NAMES[curve]} key in OIDC_CLIENT_PRIVATE_KEY; use ${fits}`,
      );
    }
  } else {
    throw new ConfigError(
      name,
      `holds a key of type ${key.asymmetricKeyType}; use an RSA key (2048 bits or more) or an EC key on P-256, P-384 or P-521`,
    );
  }
  const keyId = env.OIDC_CLIENT_KEY_ID?.trim() || undefined;
  if (keyId && !/^[\x21-\x7e]{1,200}$/.test(keyId)) {
    throw new ConfigError('OIDC_CLIENT_KEY_ID', 'must be 1 to 200 printable characters without spaces');
  }
  return { method: 'private_key_jwt', keyPath, pkcs8Pem, alg, keyId };
}

export function loadConfig(env: Env = process.env): Config {
  const port = readPort(env);
  const host = env.HOST || '127.0.0.1';
  const databaseUrl = readUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const pgliteDir = path.resolve(env.PGLITE_DIR || './data');
  const databaseReadUrl = readUrl(env, 'DATABASE_READ_URL', ['postgres:', 'postgresql:']);
  if (databaseReadUrl && !databaseUrl)
    throw new ConfigError(
      'DATABASE_READ_URL',
      'needs DATABASE_URL: a read replica is of a PostgreSQL server, not of the embedded database',
    );
  const demo = readBoolean(env, 'SIGNPOST_DEMO', true);
  const baseUrl = readUrl(env, 'BASE_URL', ['http:', 'https:']) ?? `http://${host}:${port}`;
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', 'must be one of fatal, error, warn, info, debug, trace, silent');
  }
  const oidcIssuer = readUrl(env, 'OIDC_ISSUER', ['http:', 'https:']);
  let oidc: Config['oidc'];
  if (oidcIssuer) {
    if (!env.OIDC_CLIENT_ID) throw new ConfigError('OIDC_CLIENT_ID', 'must be set when OIDC_ISSUER is set');
    oidc = { issuer: oidcIssuer, clientId: env.OIDC_CLIENT_ID, clientAuthentication: readOidcClientAuthentication(env) };
  }
  return {
    port,
    host,
    databaseUrl,
    pgliteDir,
    pgliteSharedBuffers: readPgliteSharedBuffers(env),
    databaseReadUrl,
    replicaMaxLagSeconds: readReplicaLag(env),
    demo,
    sessionSecret: readSessionSecret(env, demo, pgliteDir),
    baseUrl,
    logLevel,
    oidc,
    notifyApiKey: env.NOTIFY_API_KEY || undefined,
    notifyBaseUrl: readUrl(env, 'NOTIFY_BASE_URL', ['http:', 'https:']),
    runWorker: readBoolean(env, 'SIGNPOST_WORKER', true),
    notifyTemplates: readNotifyTemplates(env),
    jobLockSeconds: readJobLockSeconds(env),
    selfReferralTenantId: readSelfReferralTenant(env),
    directoryFreshnessMonths: readFreshnessMonths(env),
    orukFeeds: readFeeds(env),
    trustProxy: readTrustProxy(env),
    mapTiles: readMapTiles(env),
    mesh: readMesh(env),
  };
}

/** The environment for a child process (PostgreSQL's client tools), with additions such as PGPASSWORD. */
export function childProcessEnv(additions: Record<string, string> = {}): Record<string, string | undefined> {
  return { ...process.env, ...additions };
}
