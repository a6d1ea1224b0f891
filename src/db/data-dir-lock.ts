import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * PGlite has no interlock on its data directory (PostgreSQL's postmaster.pid does this for a
 * server): a second process opens the same files and writes beside the first, and the first
 * one's in-memory state falls behind them (seen as "MultiXactId N has not been created yet").
 * So every process that opens the embedded database first takes this lock, for its whole life.
 */
export const LOCK_FILE = 'signpost.lock';

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the owner took the lock. */
  startedAt: string;
  /** What the owner runs, e.g. "signpost serve", for the refusal message. */
  command: string;
  /** Tells this lock from an earlier one by a process that had the same pid. */
  token: string;
}

/** Another live process, or a process on another host, holds the data directory. */
export class DataDirLocked extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner | undefined,
    readonly sameHost: boolean,
  ) {
    super(DataDirLocked.describe(dataDir, owner, sameHost));
  }

  private static describe(dataDir: string, owner: LockOwner | undefined, sameHost: boolean): string {
    if (!owner) return `The embedded database in ${dataDir} is being locked by another process right now; try again in a moment.`;
    const who = `process ${owner.pid}${sameHost ? '' : ` on host ${owner.host}`} (${owner.command}, since ${owner.startedAt})`;
    if (!sameHost) {
      return `The embedded database in ${dataDir} is locked by ${who}. Stop it there; if that host is gone and nothing else uses this directory, delete ${path.join(dataDir, LOCK_FILE)}.`;
    }
    return `The embedded database in ${dataDir} is in use by ${who}. Stop that process first, or run this against the server's database with DATABASE_URL.`;
  }
}

export interface DataDirLock {
  readonly file: string;
  readonly owner: LockOwner;
  release(): void;
}

const held = new Map<string, DataDirLock>();

function describeCommand(): string {
  const script = process.argv[1] ? path.basename(process.argv[1]).replace(/\.(mjs|js|ts)$/, '') : 'node';
  const words = process.argv
    .slice(2)
    .filter((arg) => !arg.startsWith('-'))
    .slice(0, 2);
  return [script, ...words].join(' ').slice(0, 100);
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** On Linux, when the process with this pid started (ms since the epoch); undefined elsewhere. */
function processStartedAt(pid: number): number | undefined {
  try {
    // Field 22 of /proc/<pid>/stat, in clock ticks after boot; the name (field 2) may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(bootSeconds)) return undefined;
    return bootSeconds * 1000 + (ticks / 100) * 1000;
  } catch {
    return undefined;
  }
}

function isAlive(owner: LockOwner): boolean {
  // Our own pid in a lock we do not hold is an earlier run in the same container (often pid 1).
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A pid that started after the lock was taken is a new process reusing the number.
  const started = processStartedAt(owner.pid);
  const lockedAt = Date.parse(owner.startedAt);
  return started === undefined || Number.isNaN(lockedAt) || started <= lockedAt + 1000;
}

/** A lock file left unreadable (its writer died mid-write) counts as abandoned after this long. */
const UNREADABLE_GRACE_MS = 10_000;

/** Moves a stale lock aside, unless another process replaced it meanwhile; true when it is gone. */
function removeStale(file: string, stale: LockOwner | undefined): boolean {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const moved = readOwner(aside);
  if (moved && moved.token !== stale?.token) {
    // Another process took the lock over between our read and the rename: give it back.
    try {
      linkSync(aside, file);
    } catch {
      /* it was replaced again; the next round decides */
    }
    unlinkSync(aside);
    return false;
  }
  unlinkSync(aside);
  return true;
}

/**
 * Takes the data directory's lock or throws DataDirLocked. The lock file is written in full
 * beside its final name and then hard-linked into place, which fails if the name exists
 * (as O_EXCL does), so no process ever reads a half-written lock of a live owner.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const dir = path.resolve(dataDir);
  if (held.has(dir)) throw new DataDirLocked(dir, held.get(dir)!.owner, true);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    command: describeCommand(),
    token: randomBytes(8).toString('hex'),
  };
  const draft = `${file}.${process.pid}-${owner.token}`;
  writeFileSync(draft, `${JSON.stringify(owner)}\n`, { flag: 'wx', mode: 0o644 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(draft, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error;
      }
      const current = readOwner(file);
      if (!current) {
        let age = 0;
        try {
          age = Date.now() - statSync(file).mtimeMs;
        } catch {
          continue;
        }
        if (age < UNREADABLE_GRACE_MS) throw new DataDirLocked(dir, undefined, true);
        removeStale(file, undefined);
        continue;
      }
      const sameHost = current.host === owner.host;
      if (!sameHost || isAlive(current)) throw new DataDirLocked(dir, current, sameHost);
      removeStale(file, current);
    }
  } finally {
    unlinkSync(draft);
  }
  const onExit = () => release();
  function release() {
    if (held.get(dir) !== lock) return;
    held.delete(dir);
    process.off('exit', onExit);
    // Remove only our own lock: never one a later owner took over.
    if (readOwner(file)?.token === owner.token) {
      try {
        unlinkSync(file);
      } catch {
        /* already gone */
      }
    }
  }
  const lock: DataDirLock = { file, owner, release };
  held.set(dir, lock);
  // A process that ends without closing the database (process.exit, an uncaught error) still
  // leaves the directory free; only SIGKILL or a crash leaves a stale lock, taken over later.
  process.on('exit', onExit);
  return lock;
}
