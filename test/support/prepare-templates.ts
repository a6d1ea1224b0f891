// Migrates one template per backend before the test files run; each file then copies it.
import { existsSync, writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { pgliteDatabase, pgliteExtensions, openPostgres } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createCitusDatabase } from './citus.ts';
import { pgliteTemplatePath, postgresTemplateName, serverUrl, urlForDatabase } from './template.ts';

const backends = process.argv.slice(2);

if (backends.includes('pglite')) {
  const file = pgliteTemplatePath();
  if (!existsSync(file)) {
    const database = pgliteDatabase(await PGlite.create({ extensions: pgliteExtensions }));
    await migrate(database.pool);
    const dump = await database.pglite!.dumpDataDir('gzip');
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    await database.close();
  }
  console.log(`PGlite template: ${file}`);
}

if (backends.includes('postgres') || backends.includes('citus')) {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    console.error(
      `The PostgreSQL pass needs a server at ${serverUrl} (set TEST_DATABASE_URL), but it could not connect: ${(error as Error).message}`,
    );
    process.exit(2);
  }
  const name = postgresTemplateName();
  const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rows.length === 0) {
    const building = `${name}_building`;
    await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${building}`);
    const database = openPostgres(urlForDatabase(building), 1);
    await migrate(database.pool);
    await database.close();
    await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
  }
  await admin.end();
  console.log(`PostgreSQL template: ${name}`);
  if (backends.includes('citus')) {
    // Few shards keep distributing quick; routing to one shard is the same at any count.
    const database = `signpost_citus_${Date.now().toString(36)}`;
    console.log(`Citus database: ${await createCitusDatabase(serverUrl, database, name, 4)}`);
  }
}
