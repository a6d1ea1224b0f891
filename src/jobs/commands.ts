import pino from 'pino';
import type { Command } from '../cli/command.ts';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
// Every area registers its job handlers when its modules load; the app's module graph holds them all.
import '../server.ts';
import { createJobWorker } from './runner.ts';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run the durable job worker on its own (reminders, notifications, schedules)',
  usage: 'Usage: signpost worker\n\nRuns jobs until stopped (SIGTERM or Ctrl+C). Run any number beside `signpost serve`\n'
    + '(set SIGNPOST_WORKER=false there to keep web processes free of jobs). Configured by DATABASE_URL,\n'
    + 'PGLITE_DIR, NOTIFY_API_KEY, NOTIFY_BASE_URL, NOTIFY_TEMPLATE_<NAME>, JOB_LOCK_SECONDS (see docs/operations.md).',
  async run() {
    const config = loadConfig();
    const log = pino({ level: config.logLevel });
    const database = await openDatabase(config);
    // A server that is not up yet is waited for, as the worker does later for an outage.
    for (let attempt = 1; ; attempt++) {
      try {
        await migrate(database.pool);
        break;
      } catch (error) {
        const wait = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        log.warn({ err: (error as Error).message, retryInMs: wait }, 'database not ready; waiting');
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    const worker = createJobWorker(database, config, log);
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'job worker stopping');
      await worker.stop();
      await database.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    worker.start();
    log.info({ workerId: worker.workerId, backend: database.backend }, 'job worker started');
    await new Promise(() => {});
  },
};
