import { PGlite, type Extensions } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { cube } from '@electric-sql/pglite/contrib/cube';
import { earthdistance } from '@electric-sql/pglite/contrib/earthdistance';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import pg from 'pg';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import { readReplica, type ReadReplica } from './replica.ts';

/** Anything SQL can be sent to: the pool, or a client inside a transaction. */
export interface Db {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export type Backend = 'pglite' | 'postgres';

/** The one handle the app uses, whichever backend runs underneath. */
export interface Database {
  backend: Backend;
  pool: pg.Pool;
  /**
   * For read-only work that may be a few seconds stale (public directory, ORUK API): the read
   * replica when DATABASE_READ_URL is set and it is healthy, otherwise the same as `pool`.
   */
  reads: pg.Pool;
  /** Set only when a read replica is configured (for /health/ready). */
  replica?: ReadReplica;
  /** Set only on the embedded backend (for LISTEN, dumps and clean shutdown). */
  pglite?: PGlite;
  close(): Promise<void>;
}

// Timestamps without zone and dates stay strings so a date of birth never shifts by a time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
// count(*) and bigint ids fit comfortably in a JS number for this domain.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

export const pgliteExtensions = { cube, earthdistance, pg_trgm, pgcrypto, unaccent };

/**
 * Wraps an already created PGlite instance; the caller's PGlite is closed with the database, and
 * the data directory's lock, when given, is released after it.
 */
export function pgliteDatabase(pglite: PGlite, lock?: DataDirLock): Database {
  // Never close idle clients: PGlite has exactly one connection object behind the pool.
  const pool = new pg.Pool({ ...createPgConfig(pglite), idleTimeoutMillis: 0 } as pg.PoolConfig);
  return {
    backend: 'pglite',
    pool,
    reads: pool,
    pglite,
    async close() {
      try {
        await pool.end();
        await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/** Whether a PGlite data directory names a place on disk (not `memory://` or IndexedDB). */
export function isOnDisk(dataDir: string): boolean {
  return !/^[a-z]+:\/\//i.test(dataDir) || dataDir.startsWith('file://');
}

/**
 * The one place an embedded database on disk is opened: the directory's lock is taken first and
 * held until close, so a second process (a server, a command) is refused instead of corrupting it.
 * `loadDataDir` fills an empty directory from a `dumpDataDir` archive (restore).
 */
export async function openPglite(
  dataDir: string,
  options: { loadDataDir?: Blob; extensions?: Extensions; sharedBuffers?: string } = {},
): Promise<Database> {
  const lock = isOnDisk(dataDir) ? lockDataDir(dataDir.replace(/^file:\/\//, '')) : undefined;
  try {
    const pglite = await PGlite.create(dataDir, {
      extensions: { ...pgliteExtensions, ...options.extensions },
      loadDataDir: options.loadDataDir,
      ...(options.sharedBuffers ? { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${options.sharedBuffers}`] } : {}),
    });
    return pgliteDatabase(pglite, lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}

export function openPostgres(connectionString: string, max = 10): Database {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5000 });
  // A dropped server connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  return {
    backend: 'postgres',
    pool,
    reads: pool,
    async close() {
      await pool.end();
    },
  };
}

/** Adds a read replica to a server database: `reads` then follows the replica's health. */
export function withReadReplica(database: Database, readUrl: string, maxLagSeconds: number): Database {
  const replica = readReplica(database.pool, readUrl, { maxLagSeconds });
  return {
    ...database,
    reads: replica.reads,
    replica,
    async close() {
      await replica.close();
      await database.close();
    },
  };
}

export async function openDatabase(options: {
  databaseUrl?: string;
  pgliteDir: string;
  pgliteSharedBuffers?: string;
  databaseReadUrl?: string;
  replicaMaxLagSeconds?: number;
}): Promise<Database> {
  if (!options.databaseUrl) return openPglite(options.pgliteDir, { sharedBuffers: options.pgliteSharedBuffers });
  const database = openPostgres(options.databaseUrl);
  return options.databaseReadUrl ? withReadReplica(database, options.databaseReadUrl, options.replicaMaxLagSeconds ?? 10) : database;
}
