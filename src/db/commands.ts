import { UsageError, type Command } from '../cli/command.ts';
import { loadConfig } from '../config.ts';
import { applyDistribution, DEFAULT_SHARD_COUNT, NotDistributable, planDistribution, planScript } from './citus.ts';
import { openPostgres } from './database.ts';
import { hasCitus } from './queries.ts';

export const citusDistributeCommand: Command = {
  name: 'citus distribute',
  summary: 'Distribute tenant tables by tenant_id and make shared tables reference tables on a Citus coordinator',
  usage: [
    'Usage: signpost citus distribute [--dry-run] [--shards N]',
    '',
    'DATABASE_URL must point at a migrated database on the Citus coordinator, with the citus extension',
    'created and the worker nodes added. Tables already placed are left alone, so it is safe to run again',
    'after each migration. --dry-run prints the SQL without running it. --shards sets how many shards the',
    `tenant tables are split into (default ${DEFAULT_SHARD_COUNT}; fixed once the first table is distributed). See docs/scaling.md.`,
  ].join('\n'),
  options: { 'dry-run': { type: 'boolean' }, shards: { type: 'string' } },
  async run({ values }) {
    const shards = values.shards === undefined ? DEFAULT_SHARD_COUNT : Number(values.shards);
    if (!Number.isInteger(shards) || shards < 1 || shards > 1024) throw new UsageError('--shards must be a whole number from 1 to 1024.');
    const config = loadConfig();
    if (!config.databaseUrl) throw new UsageError('signpost citus distribute needs DATABASE_URL set to the Citus coordinator.');
    const database = openPostgres(config.databaseUrl, 1);
    try {
      if (!(await hasCitus(database.pool))) {
        throw new UsageError(
          'The database at DATABASE_URL has no citus extension: run CREATE EXTENSION citus and add the worker nodes first (docs/scaling.md).',
        );
      }
      const plan = await planDistribution(database.pool, { shardCount: shards });
      if (values['dry-run']) {
        console.log(planScript(plan));
        return 0;
      }
      await applyDistribution(database.pool, plan, (line) => console.log(line));
      const placed = plan.steps.filter((step) => !step.action.endsWith('foreign key')).length;
      console.log(
        placed
          ? `Placed ${placed} table(s); ${plan.alreadyPlaced.length} were already placed.`
          : `Nothing to do: all ${plan.alreadyPlaced.length} tables are already placed.`,
      );
      return 0;
    } catch (error) {
      if (error instanceof NotDistributable) throw new UsageError(error.message);
      throw error;
    } finally {
      await database.close();
    }
  },
};
