// Importing an ORUK feed: generated services shaped like a real feed (organisation, a location
// with its address and accessibility, a schedule, a cost, a phone, a contact, a need), written to
// a JSON file; then, on each backend, in the same run:
//   - the time to merely read the feed (JSON.parse of the file, then checking, repairing and
//     hashing every record, which every import does before it touches the database);
//   - the first import into an empty directory;
//   - a re-import of the unchanged feed (compares hashes, writes nothing).
//   npm run bench -- import [services] [pglite-services]     (defaults 10000 and 10000)
//   BENCH_BACKEND=postgres|pglite to run one.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { importServices, readOrukSource } from '../src/directory/import/service.ts';
import { refusal, repairService } from '../src/directory/import/repair.ts';
import type { OrukService } from '../src/directory/oruk/types.ts';
import { NEEDS } from '../src/vocabulary/needs.ts';
import { needTermId } from '../src/directory/taxonomy.ts';
import { onEachBackend } from './_backends.ts';

const total = Number(process.argv[2] ?? 10_000);
const pgliteTotal = Number(process.argv[3] ?? total);

function generatedService(n: number): OrukService {
  const org = Math.floor(n / 5);
  const need = NEEDS[n % NEEDS.length]!;
  const id = (kind: string) => `bench-${kind}-${n}`;
  return {
    id: id('svc'),
    name: `${need.label} group ${n}`,
    status: 'active',
    description: `A weekly group for people in the area. Generated record ${n}.`,
    url: `https://example.org/services/${n}`,
    email: `group${n}@example.org`,
    fees: 'Free',
    organization: {
      id: `bench-org-${org}`,
      name: `Community Trust ${org}`,
      description: 'A generated organisation.',
      website: `https://trust${org}.example.org`,
    },
    service_at_locations: [
      {
        id: id('sal'),
        location: {
          id: id('loc'),
          location_type: 'physical',
          name: `Venue ${n}`,
          latitude: 53.8 + (n % 1000) / 10_000,
          longitude: -1.55 - (n % 997) / 10_000,
          addresses: [
            {
              id: id('adr'),
              address_1: `${n} High Street`,
              city: 'Leeds',
              state_province: 'West Yorkshire',
              postal_code: 'LS6 3AB',
              country: 'GB',
              address_type: 'physical',
            },
          ],
          accessibility: [{ id: id('acc'), description: 'Step-free entrance' }],
        },
      },
    ],
    schedules: [{ id: id('sch'), freq: 'WEEKLY', byday: ['MO', 'TU', 'WE', 'TH', 'FR'][n % 5]!, opens_at: '10:00', closes_at: '12:00' }],
    cost_options: [{ id: id('cost'), option: 'Per session', amount: n % 3 }],
    phones: [{ id: id('tel'), number: '0113 496 0000' }],
    contacts: [{ id: id('con'), name: 'Group lead', email: `lead${n}@example.org` }],
    attributes: [
      { id: id('need'), taxonomy_term_id: needTermId(need.code), taxonomy_term: { id: needTermId(need.code), name: need.label } },
    ],
  } as OrukService;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perService = (ms: number, count: number) => `${((ms * 1000) / count).toFixed(0)} µs/service`;

async function run(backend: string, database: Database, count: number, feedFile: string) {
  await migrate(database.pool);
  let started = performance.now();
  const records = await readOrukSource(feedFile);
  const parsed = performance.now() - started;
  started = performance.now();
  // What importServices does to each record before the database (checking, repairing, hashing).
  for (const record of records) {
    if (refusal(record)) continue;
    createHash('sha256')
      .update(JSON.stringify(repairService(record).service))
      .digest('base64url');
  }
  const checked = performance.now() - started;

  started = performance.now();
  const first = await importServices(database.pool, records, { sourceFeed: 'bench' });
  const firstMs = performance.now() - started;
  started = performance.now();
  const again = await importServices(database.pool, await readOrukSource(feedFile), { sourceFeed: 'bench' });
  const againMs = performance.now() - started;

  console.log(`\n${backend}, ${count} services (${(readFileSync(feedFile).length / 1e6).toFixed(0)} MB of ORUK JSON):`);
  console.log(`  read the feed (JSON.parse)          ${seconds(parsed).padStart(9)}  ${perService(parsed, count)}`);
  console.log(`  check, repair and hash every record ${seconds(checked).padStart(9)}  ${perService(checked, count)}`);
  console.log(
    `  first import                        ${seconds(firstMs).padStart(9)}  ${perService(firstMs, count)}  added ${first.added.length}, invalid ${first.invalid.length}`,
  );
  console.log(
    `  unchanged re-import (read included) ${seconds(againMs).padStart(9)}  ${perService(againMs, count)}  unchanged ${again.unchanged.length}, ` +
      `changed ${again.changed.length}; ${(againMs / (parsed + checked)).toFixed(2)}x reading and checking`,
  );
}

const folder = mkdtempSync(path.join(tmpdir(), 'signpost-import-bench-'));
try {
  const files = new Map<number, string>();
  const feedOf = (count: number) => {
    if (!files.has(count)) {
      const file = path.join(folder, `feed-${count}.json`);
      const contents = Array.from({ length: count }, (_, n) => generatedService(n));
      writeFileSync(
        file,
        JSON.stringify({
          total_items: count,
          total_pages: 1,
          page_number: 1,
          size: count,
          first_page: true,
          last_page: true,
          empty: false,
          contents,
        }),
      );
      files.set(count, file);
    }
    return files.get(count)!;
  };
  await onEachBackend(4, (backend, database) => {
    const count = backend === 'PostgreSQL' ? total : pgliteTotal;
    return run(backend, database, count, feedOf(count));
  });
} finally {
  rmSync(folder, { recursive: true, force: true });
}
