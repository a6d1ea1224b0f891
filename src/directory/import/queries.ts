import type { Db } from '../../db/database.ts';

// What the importer remembers of each record it wrote, to skip unchanged ones on the next run.

/** The import hash of each of these services that exists (null when something else wrote it last). */
export async function importHashes(db: Db, ids: string[]): Promise<Map<string, string | null>> {
  const { rows } = await db.query<{ id: string; hash: string | null }>(
    'SELECT id, import_hash AS hash FROM directory_service WHERE id = ANY ($1::text[])',
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.hash]));
}

/** Records, for a batch of imported services, the hash of what the feed gave and what no column holds. */
export async function saveImportState(db: Db, rows: Array<{ id: string; hash: string; extra: unknown }>) {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE directory_service s SET import_hash = x.hash, hsds_extra = x.extra
       FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS x(id, hash, extra) WHERE s.id = x.id`,
    [rows.map((r) => r.id), rows.map((r) => r.hash), rows.map((r) => (r.extra === undefined ? null : JSON.stringify(r.extra)))],
  );
}
