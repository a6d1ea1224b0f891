import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readMigrations } from '../../src/db/migrate.ts';

/** Both templates are named by the migrations they hold, so a changed migration makes new ones. */
export function migrationsFingerprint(): string {
  const hash = createHash('sha256');
  for (const m of readMigrations()) hash.update(m.name).update(m.checksum);
  return hash.digest('hex').slice(0, 12);
}

export function pgliteTemplatePath(): string {
  return process.env.TEST_PGLITE_TEMPLATE ?? path.join(tmpdir(), `signpost-pglite-template-${migrationsFingerprint()}.tar.gz`);
}

export function postgresTemplateName(): string {
  return process.env.TEST_PG_TEMPLATE ?? `signpost_template_${migrationsFingerprint()}`;
}

export const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The same server with another database name. */
export function urlForDatabase(name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
