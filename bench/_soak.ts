// The soak: a mixed workload through the HTTP app on embedded PGlite in a child process, with
// restarts by SIGTERM and by SIGKILL, then amcheck and a full re-read of every table. Shared by
// `npm run bench -- soak` (long, demo data) and test/db/soak.test.ts (short, in CI).
import { amcheck } from '@electric-sql/pglite/contrib/amcheck';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMParser } from 'linkedom';
import { openPglite } from '../src/db/database.ts';
import { checkBtreeIndexes, checkHeaps, listTables, tableFigures } from '../src/operations/queries.ts';

const serverScript = path.join(path.dirname(fileURLToPath(import.meta.url)), '_soak-server.ts');

export interface SoakAccounts {
  linkWorker: string;
  provider: string;
  lead: string;
  password: string;
}

export interface SoakOptions {
  dataDir: string;
  port: number;
  /** Stop after this long, or after maxRequests, whichever comes first (then restarts go by requests). */
  durationMs: number;
  maxRequests?: number;
  /** Restarts spread evenly over the run, in this order. */
  restarts: Array<'SIGTERM' | 'SIGKILL'>;
  accounts: SoakAccounts;
  /** Extra environment for the server (SIGNPOST_DEMO, SESSION_SECRET, SOAK_SCAN_MS ...). */
  env: Record<string, string>;
  concurrency?: number;
  progress?: (line: string) => void;
}

export interface SoakReport {
  requests: Record<string, number>;
  /** Answers 4xx by kind: refusals the app gave on purpose (a referral not yet in contact ...). */
  refused: Record<string, number>;
  /** 5xx answers, with the kind and path of the first few. */
  serverErrors: number;
  serverErrorSamples: string[];
  /** Requests cut off because the server was being stopped or killed. */
  interrupted: number;
  /** Network errors while the server was meant to be up. */
  errors: number;
  errorSamples: string[];
  background: Record<string, { ok: number; error: number; samples: string[] }>;
  restarts: Array<{ signal: string; downMs: number }>;
  amcheck: { indexes: number; indexProblems: string[]; tables: number; heapProblems: string[] };
  tables: Array<{ table: string; rows: number }>;
  seconds: number;
}

type Jar = Map<string, string>;

class Client {
  readonly jar: Jar = new Map();
  csrf = '';
  constructor(readonly base: string) {}

  async request(pathname: string, init: { method?: string; form?: Record<string, string | string[]> } = {}) {
    const headers: Record<string, string> = { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    let body: string | undefined;
    if (init.form) {
      const params = new URLSearchParams();
      // Each post is a freshly opened form, with its own one-time form token.
      for (const [key, value] of Object.entries({ _csrf: this.csrf, formToken: randomBytes(18).toString('base64url'), ...init.form })) {
        for (const one of Array.isArray(value) ? value : [value]) params.append(key, one);
      }
      body = params.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(`${this.base}${pathname}`, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(120_000),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair!.indexOf('=');
      this.jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    const text = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrf = token;
    return { status: response.status, text };
  }

  async signIn(email: string, password: string) {
    await this.request('/sign-in');
    const result = await this.request('/sign-in', { form: { email, password } });
    if (result.status !== 303) throw new Error(`signing in as ${email} answered ${result.status}`);
    await this.request('/');
  }
}

const uuids = (text: string, pattern: RegExp) => [...new Set([...text.matchAll(pattern)].map((m) => m[1]!))];
const UUID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];
const WORDS = [
  'walk',
  'garden',
  'art',
  'money',
  'debt',
  'lonely',
  'choir',
  'food',
  'exercise',
  'bereavement',
  'carers',
  'men',
  'housing',
  'yoga',
  '',
];
const POSTCODES = ['', '', 'LS6 1AN', 'LS1 4AP', 'LS6'];

/** Every named field of the page's first form posting to `action`, as a browser would send it. */
function formValues(html: string, action: RegExp): Record<string, string> {
  const document = new DOMParser().parseFromString(html, 'text/html');
  const form = [...document.querySelectorAll('form')].find((f) => action.test(f.getAttribute('action') ?? ''));
  const values: Record<string, string> = {};
  if (!form) return values;
  for (const field of form.querySelectorAll('input, textarea, select')) {
    const name = field.getAttribute('name');
    if (!name) continue;
    const type = field.getAttribute('type');
    if ((type === 'radio' || type === 'checkbox') && !field.hasAttribute('checked')) continue;
    if (field.tagName === 'SELECT') {
      const selected = field.querySelector('option[selected]') ?? field.querySelector('option');
      values[name] = selected?.getAttribute('value') ?? '';
    } else if (field.tagName === 'TEXTAREA') {
      values[name] = field.textContent ?? '';
    } else {
      values[name] = field.getAttribute('value') ?? '';
    }
  }
  return values;
}

interface Server {
  child: ChildProcess;
  exited: Promise<void>;
}

function startServer(options: SoakOptions, onLine: (line: string) => void): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', serverScript], {
    env: {
      ...process.env,
      PGLITE_DIR: options.dataDir,
      PORT: String(options.port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      DATABASE_URL: '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let buffered = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within 10 minutes:\n${stderr}`));
    }, 600_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.includes('is running at')) {
          clearTimeout(timer);
          resolve({ child, exited });
        }
        onLine(line);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}) before it started:\n${stderr}`));
    });
  });
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const progress = options.progress ?? (() => {});
  const report: SoakReport = {
    requests: {},
    refused: {},
    serverErrors: 0,
    serverErrorSamples: [],
    interrupted: 0,
    errors: 0,
    errorSamples: [],
    background: {},
    restarts: [],
    amcheck: { indexes: 0, indexProblems: [], tables: 0, heapProblems: [] },
    tables: [],
    seconds: 0,
  };
  const onLine = (line: string) => {
    const match = /^soak-task (\S+) (ok|error) \d+ ?(.*)$/.exec(line);
    if (!match) return;
    const entry = (report.background[match[1]!] ??= { ok: 0, error: 0, samples: [] });
    entry[match[2] as 'ok' | 'error']++;
    if (match[2] === 'error' && entry.samples.length < 3) entry.samples.push(match[3]!);
  };
  let server = await startServer(options, onLine);
  let up = true;
  const base = `http://127.0.0.1:${options.port}`;
  const publicClient = new Client(base);
  const worker = new Client(base);
  const provider = new Client(base);
  const lead = new Client(base);
  await worker.signIn(options.accounts.linkWorker, options.accounts.password);
  await provider.signIn(options.accounts.provider, options.accounts.password);
  await lead.signIn(options.accounts.lead, options.accounts.password);

  const providerServices = uuids((await provider.request('/curation')).text, new RegExp(`/curation/services/${UUID}/edit`, 'g'));
  const referrals = uuids((await worker.request('/caseload')).text, new RegExp(`/referrals/${UUID}`, 'g'));
  const searchedServices = new Set<string>(providerServices);
  if (providerServices.length === 0 || referrals.length === 0)
    throw new Error(`nothing to work on: ${providerServices.length} provider services, ${referrals.length} referrals on the caseload`);
  progress(`${providerServices.length} provider services, ${referrals.length} referrals on the caseload`);

  let editRound = 0;
  const kinds: Array<[string, number, () => Promise<{ status: number; path: string }>]> = [
    [
      'directory search',
      40,
      async () => {
        const p = `/services?q=${encodeURIComponent(pick(WORDS)!)}&postcode=${encodeURIComponent(pick(POSTCODES)!)}`;
        const result = await publicClient.request(p);
        for (const id of uuids(result.text, new RegExp(`/services/${UUID}`, 'g')).slice(0, 5)) searchedServices.add(id);
        return { status: result.status, path: p };
      },
    ],
    [
      'service page',
      15,
      async () => {
        const p = `/services/${pick([...searchedServices])}`;
        return { status: (await publicClient.request(p)).status, path: p };
      },
    ],
    [
      'curation edit',
      10,
      async () => {
        const id = pick(providerServices)!;
        const page = await provider.request(`/curation/services/${id}/edit`);
        if (page.status !== 200) return { status: page.status, path: `/curation/services/${id}/edit` };
        const values = formValues(page.text, /\/edit$/);
        values.description = `${(values.description ?? '').replace(/ Checked in round \d+\.$/, '')} Checked in round ${++editRound}.`;
        const p = `/curation/services/${id}/edit`;
        return { status: (await provider.request(p, { form: values })).status, path: p };
      },
    ],
    [
      'onward referral',
      10,
      async () => {
        const p = `/referrals/${pick(referrals)}/onward`;
        return {
          status: (
            await worker.request(p, { form: { kind: 'refer', serviceId: pick(providerServices)!, consent: 'yes', note: 'Soak referral' } })
          ).status,
          path: p,
        };
      },
    ],
    [
      'provider response',
      10,
      async () => {
        const inbox = await provider.request('/provider/inbox');
        const id = pick(uuids(inbox.text, new RegExp(`/provider/referrals/${UUID}`, 'g')));
        if (!id) return { status: inbox.status, path: '/provider/inbox' };
        const p = `/provider/referrals/${id}/respond`;
        const answer: Record<string, string> =
          Math.random() < 0.7 ? { to: 'accepted' } : { to: 'declined', reason: 'full', detail: 'Full this term' };
        return { status: (await provider.request(p, { form: answer })).status, path: p };
      },
    ],
    ['caseload', 8, async () => ({ status: (await worker.request('/caseload')).status, path: '/caseload' })],
    [
      'report refresh',
      2,
      async () => ({ status: (await lead.request('/reports/refresh', { form: {} })).status, path: '/reports/refresh' }),
    ],
    ['reports', 5, async () => ({ status: (await lead.request('/reports')).status, path: '/reports' })],
  ];
  const totalWeight = kinds.reduce((sum, [, weight]) => sum + weight, 0);
  const chooseKind = () => {
    let roll = Math.random() * totalWeight;
    for (const kind of kinds) {
      roll -= kind[1];
      if (roll <= 0) return kind;
    }
    return kinds[0]!;
  };

  // The clock starts once the server is up and signed in to: the first start may seed the demo.
  const workStarted = Date.now();
  const deadline = workStarted + options.durationMs;
  const restartAt = options.restarts.map((signal, i) => ({
    signal,
    at: workStarted + ((i + 1) * options.durationMs) / (options.restarts.length + 1),
  }));
  let sent = 0;
  let restarting: Promise<void> | undefined;
  const done = () => Date.now() >= deadline || (options.maxRequests !== undefined && sent >= options.maxRequests);

  async function restart(signal: 'SIGTERM' | 'SIGKILL') {
    const down = Date.now();
    up = false;
    server.child.kill(signal);
    await server.exited;
    server = await startServer(options, onLine);
    up = true;
    report.restarts.push({ signal, downMs: Date.now() - down });
    progress(`restarted after ${signal} in ${Date.now() - down} ms`);
  }

  async function loop() {
    while (!done()) {
      if (restarting) {
        await restarting;
        continue;
      }
      const due = restartAt[0];
      // With a request budget, restarts fall between requests (a slow machine still sees work
      // between them); otherwise they fall evenly over the time.
      const restartDue =
        due &&
        (options.maxRequests !== undefined
          ? sent >= ((options.restarts.length - restartAt.length + 1) * options.maxRequests) / (options.restarts.length + 1)
          : Date.now() >= due.at);
      if (due && restartDue) {
        restartAt.shift();
        restarting = restart(due.signal).finally(() => {
          restarting = undefined;
        });
        continue;
      }
      const [kind, , send] = chooseKind();
      sent++;
      report.requests[kind] = (report.requests[kind] ?? 0) + 1;
      try {
        const { status, path: p } = await send();
        if (status >= 500) {
          report.serverErrors++;
          if (report.serverErrorSamples.length < 5) report.serverErrorSamples.push(`${kind} ${p} -> ${status}`);
        } else if (status >= 400) {
          report.refused[kind] = (report.refused[kind] ?? 0) + 1;
        }
      } catch (error) {
        if (!up || restarting) report.interrupted++;
        else {
          report.errors++;
          if (report.errorSamples.length < 5)
            report.errorSamples.push(`${kind}: ${(error as Error).message} ${String((error as Error).cause ?? '')}`);
        }
      }
      if (sent % 500 === 0) progress(`${sent} requests, ${report.serverErrors} 5xx, ${report.restarts.length} restarts`);
    }
  }
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, loop));
  if (restarting) await restarting;
  while (restartAt.length) await restart(restartAt.shift()!.signal);
  server.child.kill('SIGTERM');
  await server.exited;

  // The whole database, read afresh by a new process, as an operator's check would.
  const database = await openPglite(options.dataDir, { extensions: { amcheck } });
  try {
    await database.pool.query('CREATE EXTENSION IF NOT EXISTS amcheck');
    const indexes = await checkBtreeIndexes(database.pool);
    const heaps = await checkHeaps(database.pool);
    report.amcheck = { indexes: indexes.indexes, indexProblems: indexes.problems, tables: heaps.tables, heapProblems: heaps.problems };
    for (const table of await listTables(database.pool)) {
      const figures = await tableFigures(database.pool, table);
      report.tables.push({ table, rows: figures.rows });
    }
  } finally {
    await database.close();
  }
  report.seconds = Math.round((Date.now() - started) / 1000);
  return report;
}

export function printSoakReport(report: SoakReport, log: (line: string) => void = console.log) {
  const total = Object.values(report.requests).reduce((a, b) => a + b, 0);
  log(
    `\nSoak: ${total} requests in ${report.seconds} s, ${report.serverErrors} answered 5xx, ${report.errors} network errors, ${report.interrupted} cut off by restarts`,
  );
  for (const [kind, count] of Object.entries(report.requests).sort()) {
    log(`  ${kind.padEnd(20)} ${String(count).padStart(7)}  refused (4xx) ${report.refused[kind] ?? 0}`);
  }
  for (const sample of [...report.serverErrorSamples, ...report.errorSamples]) log(`  ! ${sample}`);
  for (const [kind, counts] of Object.entries(report.background)) {
    log(
      `  background ${kind.padEnd(14)} ok ${counts.ok}, failed ${counts.error}${counts.samples.length ? ` (${counts.samples.join('; ')})` : ''}`,
    );
  }
  log(`Restarts: ${report.restarts.map((r) => `${r.signal} (back in ${(r.downMs / 1000).toFixed(1)} s)`).join(', ') || 'none'}`);
  log(
    `amcheck: ${report.amcheck.indexes} btree indexes checked (bt_index_check with heapallindexed), ${report.amcheck.indexProblems.length} problems; ` +
      `${report.amcheck.tables} tables checked (verify_heapam with TOAST), ${report.amcheck.heapProblems.length} problems`,
  );
  for (const problem of [...report.amcheck.indexProblems, ...report.amcheck.heapProblems].slice(0, 20)) log(`  ! ${problem}`);
  const rows = report.tables.reduce((a, t) => a + t.rows, 0);
  log(
    `Re-read ${report.tables.length} tables in full, ${rows} rows: ${report.tables
      .filter((t) => t.rows > 0)
      .map((t) => `${t.table} ${t.rows}`)
      .join(', ')}`,
  );
}
