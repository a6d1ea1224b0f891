import { loadConfig } from '../config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import type { DemoAccount } from '../demo/seed.ts';
import type { Command } from './command.ts';

// The app and the demo are imported when a command needs them, so `signpost user add` and the
// other short commands start in a fraction of the time and refuse a locked database at once.

/** Opens the configured database, runs `work`, and always closes it. */
export async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

/** `withDatabase` with the schema brought up to date first, for a command that reads or writes the service's tables. */
export function withMigratedDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  return withDatabase(async (database) => {
    await migrate(database.pool);
    return work(database);
  });
}

function accountList(accounts: DemoAccount[]): string {
  if (accounts.length === 0) return '';
  return [
    '\nDemo sign-in accounts (fictional data):',
    ...accounts.map((account) => `  ${account.role.padEnd(14)} ${account.email.padEnd(36)} ${account.password}`),
  ].join('\n');
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Migrate the database, load demo data if it is empty (demo mode), and serve the app',
  usage:
    'Usage: signpost serve\n\nConfigured by PORT, HOST, DATABASE_URL, PGLITE_DIR, SIGNPOST_DEMO, SESSION_SECRET, BASE_URL (see docs/operations.md).',
  async run() {
    const started = Date.now();
    const config = loadConfig();
    const database = await openDatabase(config);
    await migrate(database.pool);
    let accounts: DemoAccount[] = [];
    if (config.demo) {
      const { demoAccounts, seedDemo } = await import('../demo/seed.ts');
      const result = await seedDemo(database);
      accounts = result.seeded ? result.accounts : await demoAccounts(database);
    }
    const { buildApp } = await import('../server.ts');
    const app = await buildApp({ config, database });
    let closing = false;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      app.log.info({ signal }, 'shutting down');
      await app.close();
      await database.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    // One write, so the address and the accounts arrive together.
    console.log(
      `\nSignpost is running at http://${config.host}:${port} (ready in ${Date.now() - started} ms, ${database.backend === 'pglite' ? `embedded database in ${config.pgliteDir}` : 'PostgreSQL server'})${accountList(accounts) ? `\n${accountList(accounts)}` : ''}`,
    );
    await new Promise(() => {});
  },
};

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply database migrations that have not run yet',
  usage: 'Usage: signpost migrate',
  async run() {
    const applied = await withDatabase((database) => migrate(database.pool));
    console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'The database is up to date.');
  },
};

export const seedCommand: Command = {
  name: 'seed',
  summary: 'Load the fictional demo service into an empty database',
  usage: 'Usage: signpost seed\n\nDoes nothing if demo data was already loaded.',
  async run() {
    const result = await withMigratedDatabase(async (database) => {
      const { seedDemo } = await import('../demo/seed.ts');
      return seedDemo(database);
    });
    console.log(result.seeded ? 'Demo data loaded.' : 'Demo data was already loaded; nothing changed.');
    const list = accountList(result.accounts);
    if (list) console.log(list);
  },
};
