import type { Db } from '../db/database.ts';

export interface PostcodeRow {
  postcode: string;
  latitude: number;
  longitude: number;
  lsoa11: string | null;
  lsoa21: string | null;
}

export async function findPostcode(db: Db, postcode: string): Promise<PostcodeRow | undefined> {
  const { rows } = await db.query<PostcodeRow>(
    'SELECT postcode, latitude, longitude, lsoa11, lsoa21 FROM geo_postcode WHERE postcode = $1',
    [postcode],
  );
  return rows[0];
}

/** Inserts or updates a batch; returns how many rows were new or different. */
export async function upsertPostcodes(db: Db, batch: PostcodeRow[]): Promise<number> {
  if (batch.length === 0) return 0;
  const { rowCount } = await db.query(
    `INSERT INTO geo_postcode (postcode, latitude, longitude, lsoa11, lsoa21)
     SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[], $4::text[], $5::text[])
     ON CONFLICT (postcode) DO UPDATE
        SET latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, lsoa11 = EXCLUDED.lsoa11, lsoa21 = EXCLUDED.lsoa21
      WHERE (geo_postcode.latitude, geo_postcode.longitude, geo_postcode.lsoa11, geo_postcode.lsoa21)
            IS DISTINCT FROM (EXCLUDED.latitude, EXCLUDED.longitude, EXCLUDED.lsoa11, EXCLUDED.lsoa21)`,
    [
      batch.map((r) => r.postcode),
      batch.map((r) => r.latitude),
      batch.map((r) => r.longitude),
      batch.map((r) => r.lsoa11),
      batch.map((r) => r.lsoa21),
    ],
  );
  return rowCount ?? 0;
}

export async function countPostcodes(db: Db): Promise<number> {
  const { rows } = await db.query<{ count: number }>('SELECT count(*) AS count FROM geo_postcode');
  return rows[0]!.count;
}
