import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Db } from '../db/database.ts';
import * as q from './queries.ts';

const dataDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data');

/** Where a postcode is, how precisely we know it, and its area's deprivation when known. */
export interface PostcodeLocation {
  postcode: string;
  latitude: number;
  longitude: number;
  /** 'postcode' when the full postcode is known; 'outcode' when only its district centroid is. */
  precision: 'postcode' | 'outcode';
  lsoa?: string;
  /** IMD decile of the LSOA: 1 is the most deprived 10% of England. */
  imdDecile?: number;
}

// UK postcode shape: outward code (area letters, district digit(s), optional letter) then inward
// code (sector digit, unit letters). Letters C, I, K, M, O, V never appear in the unit.
const FULL = /^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][ABD-HJLNP-UW-Z]{2})$/;
const OUTWARD = /^[A-Z]{1,2}[0-9][A-Z0-9]?$/;

/** "ls6 3ab" -> "LS6 3AB"; undefined when it is not shaped like a full UK postcode. */
export function normalisePostcode(raw: string): string | undefined {
  const compact = raw.toUpperCase().replace(/\s+/g, '');
  const match = FULL.exec(compact);
  return match ? `${match[1]} ${match[2]}` : undefined;
}

/** Accepts a full postcode or just its outward code ("LS6"); undefined when neither. */
export function normalisePostcodeOrOutcode(raw: string): string | undefined {
  const full = normalisePostcode(raw);
  if (full) return full;
  const compact = raw.toUpperCase().replace(/\s+/g, '');
  return OUTWARD.test(compact) ? compact : undefined;
}

function readGzipCsv(file: string): string[][] {
  const text = gunzipSync(readFileSync(path.join(dataDir, file))).toString('utf8');
  return text
    .split(/\r?\n/)
    .slice(1)
    .filter(Boolean)
    .map((line) => line.split(','));
}

interface Bundled {
  postcodes: Map<string, { latitude: number; longitude: number; lsoa11: string; lsoa21: string }>;
  outcodes: Map<string, { latitude: number; longitude: number }>;
  imd2025: Map<string, number>;
  imd2019: Map<string, number>;
}

let bundled: Bundled | undefined;

/** The reference data shipped with the code (see docs/data-sources.md), read once per process. */
function bundledData(): Bundled {
  if (bundled) return bundled;
  bundled = {
    postcodes: new Map(
      readGzipCsv('postcode-sample-ls1-ls6.csv.gz').map(([pc, lat, lng, l11, l21]) => [
        pc!,
        { latitude: Number(lat), longitude: Number(lng), lsoa11: l11!, lsoa21: l21! },
      ]),
    ),
    outcodes: new Map(
      readGzipCsv('outcode-centroids.csv.gz').map(([oc, lat, lng]) => [oc!, { latitude: Number(lat), longitude: Number(lng) }]),
    ),
    imd2025: new Map(readGzipCsv('imd2025-lsoa21.csv.gz').map(([code, , decile]) => [code!, Number(decile)])),
    imd2019: new Map(readGzipCsv('imd2019-lsoa11.csv.gz').map(([code, , decile]) => [code!, Number(decile)])),
  };
  return bundled;
}

/** IMD 2025 decile for a 2021 LSOA, falling back to IMD 2019 for a 2011 LSOA. */
export function imdDecileFor(lsoa21: string | null | undefined, lsoa11?: string | null): number | undefined {
  const data = bundledData();
  if (lsoa21 && data.imd2025.has(lsoa21)) return data.imd2025.get(lsoa21);
  if (lsoa11 && data.imd2019.has(lsoa11)) return data.imd2019.get(lsoa11);
  return undefined;
}

/**
 * Finds a postcode offline: full coverage loaded by `signpost import postcodes` first, then the
 * shipped LS1/LS6 sample, then the centroid of its outward code. Undefined when the postcode is
 * well formed but unknown, or malformed (check with normalisePostcode first to tell them apart).
 */
export async function lookupPostcode(db: Db, raw: string): Promise<PostcodeLocation | undefined> {
  const postcode = normalisePostcodeOrOutcode(raw);
  if (!postcode) return undefined;
  const data = bundledData();
  if (postcode.includes(' ')) {
    const found = (await q.findPostcode(db, postcode)) ?? data.postcodes.get(postcode);
    if (found) {
      const lsoa = found.lsoa21 || found.lsoa11 || undefined;
      return {
        postcode,
        latitude: found.latitude,
        longitude: found.longitude,
        precision: 'postcode',
        ...(lsoa ? { lsoa } : {}),
        ...(imdDecileFor(found.lsoa21, found.lsoa11) ? { imdDecile: imdDecileFor(found.lsoa21, found.lsoa11) } : {}),
      };
    }
  }
  const outcode = postcode.split(' ')[0]!;
  const centroid = data.outcodes.get(outcode);
  if (!centroid) return undefined;
  return { postcode, latitude: centroid.latitude, longitude: centroid.longitude, precision: 'outcode' };
}

/** Every full postcode in the shipped sample (for the demo and tests). */
export function samplePostcodes(): string[] {
  return [...bundledData().postcodes.keys()];
}

/** Every outward code with a centroid (for generated benchmark data). */
export function outcodeCentroids(): Array<{ outcode: string; latitude: number; longitude: number }> {
  return [...bundledData().outcodes].map(([outcode, point]) => ({ outcode, ...point }));
}

/** Great-circle distance in metres (the same earth radius as earthdistance). */
export function distanceMetres(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLng = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6378168 * Math.asin(Math.sqrt(h));
}
