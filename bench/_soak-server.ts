// The server the soak drives: `signpost serve` on embedded PGlite, plus the background work the
// job worker would only do on its schedule (reminder scans, ORUK feed imports), run here on short
// timers so a soak of minutes sees many. Prints one line per background run for the soak to count:
//   soak-task <kind> ok|error <ms> [message]
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { withTenant } from '../src/db/transaction.ts';
import { seedDemo } from '../src/demo/seed.ts';
import { importServices } from '../src/directory/import/service.ts';
import { scanReminders } from '../src/reminders/service.ts';
import { buildApp } from '../src/server.ts';

const SCAN_MS = Number(process.env.SOAK_SCAN_MS ?? 10_000);
const IMPORT_MS = Number(process.env.SOAK_IMPORT_MS ?? 20_000);

const config = loadConfig();
const database = await openDatabase(config);
await migrate(database.pool);
if (config.demo) await seedDemo(database);
const app = await buildApp({ config, database });

let importRound = 0;
const tasks: Record<string, () => Promise<void>> = {
  async 'reminder-scan'() {
    const { rows } = await database.pool.query<{ id: string }>('SELECT id FROM tenant ORDER BY id');
    for (const { id } of rows) await withTenant(database.pool, id, (tx) => scanReminders(tx, id, new Date(), { email: true }));
  },
  // A page of the app's own ORUK API as the feed, with a few descriptions changed each round so the
  // import writes. One page, not the whole feed: a round must end well before the next.
  async 'oruk-import'() {
    importRound++;
    const api = `http://${config.host}:${config.port}/api/oruk/services`;
    const page = (await (await fetch(`${api}?page=${1 + (importRound % 4)}&per_page=20`)).json()) as { contents: Array<{ id: string }> };
    const services: Array<{ description?: string }> = [];
    for (const item of page.contents) services.push((await (await fetch(`${api}/${item.id}`)).json()) as { description?: string });
    for (const service of services.slice(0, 5))
      service.description = `${(service.description ?? '').replace(/ \(feed round \d+\)$/, '')} (feed round ${importRound})`;
    await importServices(database.pool, services, { sourceFeed: 'soak-feed' });
  },
};

let stopping = false;
const running = new Set<Promise<void>>();
const timers = new Map<string, NodeJS.Timeout>();

/** Runs a task every `everyMs` after the previous run ends, so runs never pile up under load. */
function repeat(kind: string, everyMs: number) {
  timers.set(
    kind,
    setTimeout(() => {
      if (stopping) return;
      const started = Date.now();
      const task = tasks[kind]!()
        .then(
          () => console.log(`soak-task ${kind} ok ${Date.now() - started}`),
          (error: Error) => console.log(`soak-task ${kind} error ${Date.now() - started} ${error.message.split('\n')[0]}`),
        )
        .finally(() => {
          running.delete(task);
          repeat(kind, everyMs);
        });
      running.add(task);
    }, everyMs),
  );
}
repeat('reminder-scan', SCAN_MS);
repeat('oruk-import', IMPORT_MS);

const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  for (const timer of timers.values()) clearTimeout(timer);
  await Promise.allSettled(running);
  await app.close();
  await database.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
await app.listen({ port: config.port, host: config.host });
console.log(`Signpost is running at http://${config.host}:${config.port}`);
