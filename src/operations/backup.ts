import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { childProcessEnv } from '../config.ts';
import { LOCK_FILE, lockDataDir } from '../db/data-dir-lock.ts';
import { openPglite, type Database } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import * as q from './queries.ts';

/** A backup or restore that cannot go ahead; one line says why and what to do. */
export class BackupRefused extends Error {}

export type BackupFormat = 'pglite' | 'pg_dump';

/** Files in PGLITE_DIR that are not the database: kept across a restore. */
const NOT_DATA = new Set([LOCK_FILE, 'session-secret']);

function isDataDirEmpty(dataDir: string): boolean {
  return !existsSync(dataDir) || readdirSync(dataDir).every((entry) => NOT_DATA.has(entry) || entry.startsWith(`${LOCK_FILE}.`));
}

/** Writes beside the final name and renames, so a failed backup never leaves a half file under it. */
function writeAtomically(file: string, write: (partial: string) => void) {
  const partial = `${file}.partial-${process.pid}`;
  try {
    write(partial);
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
}

function refuseExisting(file: string, force: boolean) {
  if (existsSync(file) && !force) throw new BackupRefused(`${file} already exists; choose another name, or give --force to overwrite it.`);
  if (!existsSync(path.dirname(path.resolve(file))))
    throw new BackupRefused(`There is no folder ${path.dirname(path.resolve(file))} to write the backup in.`);
}

/** The embedded database, dumped by PGlite as a gzipped tar of its data directory. */
export async function backupPglite(dataDir: string, file: string, options: { force?: boolean } = {}): Promise<{ bytes: number }> {
  refuseExisting(file, options.force ?? false);
  if (!existsSync(path.join(dataDir, 'PG_VERSION')))
    throw new BackupRefused(`There is no embedded database in ${dataDir} to back up (check PGLITE_DIR).`);
  const database = await openPglite(dataDir);
  try {
    const dump = await database.pglite!.dumpDataDir('gzip');
    const bytes = Buffer.from(await dump.arrayBuffer());
    writeAtomically(file, (partial) => writeFileSync(partial, bytes, { mode: 0o600 }));
    return { bytes: bytes.length };
  } finally {
    await database.close();
  }
}

function readHead(file: string, length: number): Buffer {
  let fd: number;
  try {
    if (!statSync(file).isFile()) throw new BackupRefused(`${file} is not a file.`);
    fd = openSync(file, 'r');
  } catch (error) {
    if (error instanceof BackupRefused) throw error;
    throw new BackupRefused(
      `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : (error as Error).message}.`,
    );
  }
  try {
    const head = Buffer.alloc(length);
    const read = readSync(fd, head, 0, length, 0);
    return head.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Which kind of backup a file is, from its first bytes; anything else is refused. */
export function backupFormat(file: string): BackupFormat {
  const head = readHead(file, 5);
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'pglite';
  if (head.toString('latin1') === 'PGDMP') return 'pg_dump';
  throw new BackupRefused(
    `${file} is not a Signpost backup: expected an embedded-database backup (gzip) or a pg_dump custom-format archive (PGDMP).`,
  );
}

/**
 * Checks a PGlite dump in full: the gzip stream must end properly (a truncated copy does not)
 * and hold a tar of a PostgreSQL data directory whose entries all fit.
 */
function checkPgliteDump(file: string): Buffer {
  const compressed = readFileSync(file);
  let tar: Buffer;
  try {
    tar = gunzipSync(compressed);
  } catch (error) {
    throw new BackupRefused(`${file} is damaged or cut short (${(error as Error).message}); nothing was changed.`);
  }
  let offset = 0;
  let sawVersion = false;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    if (header.subarray(257, 262).toString('latin1') !== 'ustar')
      throw new BackupRefused(`${file} is not an embedded-database backup (no tar archive inside); nothing was changed.`);
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    if (/(^|\/)PG_VERSION$/.test(name)) sawVersion = true;
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  if (offset > tar.length) throw new BackupRefused(`${file} is cut short (its last file is incomplete); nothing was changed.`);
  if (!sawVersion) throw new BackupRefused(`${file} holds no PostgreSQL data directory (no PG_VERSION); nothing was changed.`);
  return compressed;
}

/**
 * Restores an embedded-database backup into PGLITE_DIR: built and migrated in a folder beside it
 * first, then moved in, so a failure leaves the target as it was. A target holding a database is
 * refused unless `force`; then the old database is moved to `<dir>.replaced-<time>`, not deleted.
 */
export async function restorePglite(
  dataDir: string,
  file: string,
  options: { force?: boolean } = {},
): Promise<{ migrations: string[]; replacedTo?: string }> {
  if (backupFormat(file) !== 'pglite') {
    throw new BackupRefused(`${file} is a pg_dump archive of a PostgreSQL server: restore it with DATABASE_URL set to the target server.`);
  }
  const dump = checkPgliteDump(file);
  const target = path.resolve(dataDir);
  const empty = isDataDirEmpty(target);
  if (!empty && !options.force) {
    throw new BackupRefused(
      `${target} already holds a database; give --force to replace it (the current one is kept as ${target}.replaced-<time>).`,
    );
  }
  const lock = lockDataDir(target);
  const building = `${target}.restoring-${process.pid}`;
  try {
    rmSync(building, { recursive: true, force: true });
    let database: Database | undefined = await openPglite(building, { loadDataDir: new Blob([new Uint8Array(dump)]) });
    let migrations: string[];
    try {
      migrations = await migrate(database.pool);
      // Reading every table proves the restored files open and scan before they replace anything.
      for (const table of await q.listTables(database.pool)) await q.tableFigures(database.pool, table);
    } finally {
      await database.close();
      database = undefined;
    }
    let replacedTo: string | undefined;
    if (!empty) {
      replacedTo = `${target}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      mkdirSync(replacedTo);
      for (const entry of readdirSync(target)) {
        if (!NOT_DATA.has(entry) && !entry.startsWith(`${LOCK_FILE}.`)) renameSync(path.join(target, entry), path.join(replacedTo, entry));
      }
    }
    for (const entry of readdirSync(building)) {
      if (!NOT_DATA.has(entry)) renameSync(path.join(building, entry), path.join(target, entry));
    }
    return { migrations, replacedTo };
  } finally {
    rmSync(building, { recursive: true, force: true });
    lock.release();
  }
}

/** A libpq connection for the client tools, with the password in the environment, not the process list. */
function clientConnection(databaseUrl: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { dbname: url.toString(), env: childProcessEnv(password ? { PGPASSWORD: password } : {}) };
}

function clientTool(tool: 'pg_dump' | 'pg_restore' | 'psql'): number {
  const result = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new BackupRefused(
      `${tool} was not found: install PostgreSQL's client tools (on Debian: apt-get install postgresql-client-<server major version>).`,
    );
  }
  return Number(/(\d+)(?:\.\d+)?/.exec(result.stdout)?.[1] ?? 0);
}

/** A PostgreSQL server's database, by pg_dump in its custom format (-Fc). */
export async function backupServer(
  database: Database,
  databaseUrl: string,
  file: string,
  options: { force?: boolean } = {},
): Promise<{ bytes: number; pgDump: number; server: number }> {
  refuseExisting(file, options.force ?? false);
  const pgDump = clientTool('pg_dump');
  const server = Math.floor((await q.serverVersionNumber(database.pool)) / 10_000);
  // pg_dump refuses a newer server, and an older pg_restore cannot read a newer pg_dump's archive.
  if (pgDump < server)
    throw new BackupRefused(
      `pg_dump ${pgDump} cannot back up a PostgreSQL ${server} server: install postgresql-client-${server} (pg_dump must be at least the server's major version).`,
    );
  const { dbname, env } = clientConnection(databaseUrl);
  writeAtomically(file, (partial) => {
    const result = spawnSync('pg_dump', ['--format=custom', '--file', partial, '--dbname', dbname], { env, encoding: 'utf8' });
    if (result.status !== 0) throw new BackupRefused(`pg_dump failed: ${(result.stderr || String(result.error)).trim().split('\n')[0]}`);
  });
  return { bytes: statSync(file).size, pgDump, server };
}

/** Reads a pg_dump archive through to its end (a truncated one fails here) without touching a database. */
function checkPgDumpArchive(file: string) {
  clientTool('pg_restore');
  const result = spawnSync('pg_restore', ['--file', '/dev/null', file], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new BackupRefused(
      `${file} is damaged or cut short (pg_restore: ${(result.stderr || '')
        .trim()
        .split('\n')[0]
        ?.replace(/^pg_restore: (error: )?/, '')}); nothing was changed.`,
    );
  }
}

/** Lines of stderr worth showing: the first error, else the first line. */
function firstError(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return (lines.find((line) => /ERROR|error/.test(line)) ?? lines[0] ?? '').trim();
}

/**
 * Restores a pg_dump archive into the server database, in one transaction, then migrates. A
 * database that has tables is refused unless `force`, which empties schema public first, in the
 * same transaction: if anything fails, the old database stays as it was.
 *
 * pg_restore's SQL runs through psql rather than straight into the server because the archive
 * sets an empty search_path, and earthdistance's ll_to_earth (used by the directory's distance
 * indexes) names cube and earth without a schema, so building those indexes fails ("type
 * "earth" does not exist"). The script gets search_path public instead; every name in it is
 * schema-qualified anyway.
 */
export async function restoreServer(
  database: Database,
  databaseUrl: string,
  file: string,
  options: { force?: boolean } = {},
): Promise<{ migrations: string[] }> {
  if (backupFormat(file) !== 'pg_dump') {
    throw new BackupRefused(`${file} is an embedded-database backup: restore it with DATABASE_URL unset, into PGLITE_DIR.`);
  }
  checkPgDumpArchive(file);
  clientTool('psql');
  if ((await q.hasTables(database.pool)) && !options.force) {
    throw new BackupRefused('The database at DATABASE_URL already has tables; give --force to replace them with the backup.');
  }
  // Roles are cluster-wide and not in a database's dump; the archive's grants need them.
  await q.ensureApplicationRoles(database.pool);
  const { dbname, env } = clientConnection(databaseUrl);
  const preamble = options.force ? 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' : 'SELECT 1;';
  const dump = spawn('pg_restore', ['--no-owner', '--file', '-', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const psql = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '--dbname', dbname, '-c', preamble, '-f', '-'], {
    env,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let dumpErrors = '';
  let psqlErrors = '';
  dump.stderr.on('data', (chunk: Buffer) => {
    dumpErrors += chunk.toString();
  });
  psql.stderr.on('data', (chunk: Buffer) => {
    psqlErrors += chunk.toString();
  });
  psql.stdin.on('error', () => {
    /* psql stopped at an error; its message says why */
  });
  // Line by line, so the one-line statement is never split across chunks.
  const lines = createInterface({ input: dump.stdout, crlfDelay: Infinity });
  const piped = pipeline(async function* () {
    for await (const line of lines) {
      yield `${line.replace("set_config('search_path', '', false)", "set_config('search_path', 'public, pg_catalog', false)")}\n`;
    }
  }, psql.stdin).catch(() => {});
  const [dumpCode, psqlCode] = await Promise.all([
    new Promise<number | null>((resolve) => dump.once('close', resolve)),
    new Promise<number | null>((resolve) => psql.once('close', resolve)),
    piped,
  ]);
  if (psqlCode !== 0 || dumpCode !== 0) {
    throw new BackupRefused(`The restore failed and changed nothing: ${firstError(psqlErrors) || firstError(dumpErrors)}`);
  }
  return { migrations: await migrate(database.pool) };
}
