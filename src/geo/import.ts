import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type pg from 'pg';
import { withTransaction } from '../db/transaction.ts';
import { parseCsvLine } from '../csv.ts';
import { normalisePostcode } from './postcodes.ts';
import * as q from './queries.ts';

export interface PostcodeImportReport {
  read: number;
  loaded: number;
  unchanged: number;
  rejected: number;
  /** The first few rejected rows, with line number and reason. */
  examples: Array<{ line: number; reason: string }>;
}

const BATCH = 5000;

/**
 * Streams an ONS Postcode Directory / NSPL CSV (columns pcds or pcd, lat, long, and lsoa21
 * and/or lsoa11, as ONS publishes them) into geo_postcode in one transaction, in batches, so
 * memory stays bounded however large the file. Re-running with the same file changes nothing.
 */
export async function importPostcodes(pool: pg.Pool, file: string, options: { dryRun?: boolean } = {}): Promise<PostcodeImportReport> {
  const report: PostcodeImportReport = { read: 0, loaded: 0, unchanged: 0, rejected: 0, examples: [] };
  const reject = (line: number, reason: string) => {
    report.rejected++;
    if (report.examples.length < 10) report.examples.push({ line, reason });
  };
  let columns: { pc: number; lat: number; lng: number; l11: number; l21: number } | undefined;
  let batch: q.PostcodeRow[] = [];
  let lineNo = 0;
  const work = async (tx: pg.PoolClient | { query: pg.Pool['query'] }) => {
    const flush = async () => {
      const changed = options.dryRun ? batch.length : await q.upsertPostcodes(tx, batch);
      report.loaded += changed;
      report.unchanged += batch.length - changed;
      batch = [];
    };
    // Opened only once the transaction is ready: readline drops lines emitted before iteration starts.
    const input = createReadStream(file);
    const lines = createInterface({ input: file.endsWith('.gz') ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
    for await (const line of lines) {
      lineNo++;
      if (!line.trim()) continue;
      const fields = parseCsvLine(line);
      if (!columns) {
        const names = fields.map((f) =>
          f
            .trim()
            .toLowerCase()
            .replace(/^\uFEFF/, ''),
        );
        const pc = names.indexOf('pcds') >= 0 ? names.indexOf('pcds') : names.indexOf('pcd');
        columns = { pc, lat: names.indexOf('lat'), lng: names.indexOf('long'), l11: names.indexOf('lsoa11'), l21: names.indexOf('lsoa21') };
        if (pc < 0 || columns.lat < 0 || columns.lng < 0) {
          throw new Error('This does not look like an ONS postcode file: it needs pcds (or pcd), lat and long columns.');
        }
        continue;
      }
      report.read++;
      const postcode = normalisePostcode(fields[columns.pc] ?? '');
      const latitude = Number(fields[columns.lat]);
      const longitude = Number(fields[columns.lng]);
      if (!postcode) {
        reject(lineNo, `"${fields[columns.pc] ?? ''}" is not a postcode`);
        continue;
      }
      // ONS marks postcodes without a grid reference with latitude 99.999999.
      if (!Number.isFinite(latitude) || !Number.isFinite(longitude) || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
        reject(lineNo, `${postcode} has no usable latitude and longitude`);
        continue;
      }
      const lsoa = (i: number) => (i >= 0 && fields[i] && /^[EW]01\d{6}$/.test(fields[i]!) ? fields[i]! : null);
      batch.push({ postcode, latitude, longitude, lsoa11: lsoa(columns.l11), lsoa21: lsoa(columns.l21) });
      if (batch.length >= BATCH) await flush();
    }
    if (!columns) throw new Error('The postcode file is empty.');
    await flush();
  };
  if (options.dryRun) await work(pool);
  else await withTransaction(pool, (tx) => work(tx as pg.PoolClient));
  return report;
}
