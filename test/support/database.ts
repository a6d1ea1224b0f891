import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openPostgres, pgliteDatabase, pgliteExtensions, type Backend, type Database } from '../../src/db/database.ts';
import { wireAreas } from '../../src/wiring.ts';
import { pgliteTemplatePath, postgresTemplateName, serverUrl, urlForDatabase } from './template.ts';

// Tests that call services without building the app still see the areas wired as the app does.
wireAreas();

/** On Citus (TEST_BACKEND=citus) the app sees an ordinary PostgreSQL server: the coordinator. */
export const onCitus = process.env.TEST_BACKEND === 'citus';
export const backend: Backend = process.env.TEST_BACKEND === 'postgres' || onCitus ? 'postgres' : 'pglite';

async function adminQuery(sql: string) {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

// PGlite's WebAssembly module and file bundle, compiled and read once a process rather than once
// a test file: about half a second of CPU each time.
let pgliteParts: Promise<{ pgliteWasmModule: WebAssembly.Module; fsBundle: Blob }> | undefined;
function sharedPgliteParts() {
  pgliteParts ??= (async () => {
    const dist = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    return {
      pgliteWasmModule: await WebAssembly.compile(readFileSync(path.join(dist, 'pglite.wasm'))),
      fsBundle: new Blob([readFileSync(path.join(dist, 'pglite.data'))]),
    };
  })();
  return pgliteParts;
}

/**
 * A freshly migrated database of its own for one test file, on the backend under test. On
 * PostgreSQL it is created from the template and dropped on close; on PGlite it lives in memory.
 */
export async function freshDatabase(): Promise<Database & { url?: string }> {
  if (backend === 'pglite') {
    const loadDataDir = new Blob([readFileSync(pgliteTemplatePath())]);
    return pgliteDatabase(
      await PGlite.create({
        loadDataDir,
        extensions: pgliteExtensions,
        ...(await sharedPgliteParts()),
        // A test database holds a few hundred rows: 16 MB of shared buffers rather than 128 MB
        // spares zeroing memory it never uses, about half a second of CPU a file.
        startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'],
      }),
    );
  }
  if (onCitus) {
    // One distributed database for the whole run (test files run one at a time): distributing a
    // fresh copy for each file would take about a minute each on this cluster.
    const url = process.env.TEST_CITUS_DATABASE_URL;
    if (!url) throw new Error('TEST_BACKEND=citus needs TEST_CITUS_DATABASE_URL: run npm run test:citus');
    return { ...openPostgres(url, 5), url };
  }
  const name = `signpost_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  // Two files copying the template at the same instant can collide; try again briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${postgresTemplateName()}`);
      break;
    } catch (error) {
      if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
    }
  }
  const database = openPostgres(urlForDatabase(name), 5);
  return {
    ...database,
    url: urlForDatabase(name),
    async close() {
      await database.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
