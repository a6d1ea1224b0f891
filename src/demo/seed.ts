import type { Database } from '../db/database.ts';
import { installationFact, recordInstallationFact } from './queries.ts';
import { withTransaction } from '../db/transaction.ts';
import { identitySeeder } from '../identity/demo.ts';
import { directorySeeder } from '../directory/seed.ts';
import { referralsSeeder } from '../referrals/demo.ts';
import { socialPrescribingSeeder } from '../social-prescriptions/demo.ts';
import { remindersSeeder } from '../reminders/demo.ts';
import { reportingSeeder } from '../reporting/demo.ts';
import { outcomesSeeder } from '../outcomes/demo.ts';
import { appointmentsSeeder } from '../appointments/demo.ts';
import { researchSeeder } from '../reporting/research/demo.ts';
import { DemoRandom } from './random.ts';

/** A sign-in account the demo prints at start-up. */
export interface DemoAccount {
  role: string;
  email: string;
  password: string;
}

export interface DemoContext {
  database: Database;
  random: DemoRandom;
  /** Filled by seeders so later ones can refer to what earlier ones made. */
  ids: Record<string, string[]>;
  accounts: DemoAccount[];
}

/** One area's part of the demo; seeders run in order, each after the areas it depends on. */
export interface DemoSeeder {
  area: string;
  seed(context: DemoContext): Promise<void>;
}

const DEMO_MARKER = 'demo_seeded_at';

/** Areas register their seeders here, in dependency order. */
export const demoSeeders: DemoSeeder[] = [];
demoSeeders.push(identitySeeder);
demoSeeders.push(directorySeeder);
demoSeeders.push(referralsSeeder);
demoSeeders.push(socialPrescribingSeeder);
demoSeeders.push(outcomesSeeder);
demoSeeders.push(appointmentsSeeder);
demoSeeders.push(remindersSeeder);
demoSeeders.push(researchSeeder);
// Last: the reports are built from what every other seeder made.
demoSeeders.push(reportingSeeder);

export async function isSeeded(database: Database): Promise<boolean> {
  return (await installationFact(database.pool, DEMO_MARKER)) !== undefined;
}

export interface SeedResult {
  seeded: boolean;
  accounts: DemoAccount[];
}

/**
 * Loads the fictional demo service once. Everything in it is made up: names, ODS codes, and
 * NHS numbers from the 999 test range that no real person holds.
 */
export async function seedDemo(database: Database, seeders = demoSeeders): Promise<SeedResult> {
  const context: DemoContext = { database, random: new DemoRandom(20261124), ids: {}, accounts: [] };
  if (await isSeeded(database)) return { seeded: false, accounts: await demoAccounts(database) };
  for (const seeder of seeders) await seeder.seed(context);
  await withTransaction(database.pool, async (tx) => {
    await recordInstallationFact(tx, DEMO_MARKER, new Date().toISOString());
    await recordInstallationFact(tx, 'demo_accounts', JSON.stringify(context.accounts));
  });
  return { seeded: true, accounts: context.accounts };
}

/** The demo accounts, so a second start can print them again. */
export async function demoAccounts(database: Database): Promise<DemoAccount[]> {
  const accounts = await installationFact(database.pool, 'demo_accounts');
  return accounts ? (JSON.parse(accounts) as DemoAccount[]) : [];
}
