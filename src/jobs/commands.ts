import pino from 'pino';
import { UsageError, type Command } from '../cli/command.ts';
import { withDatabase } from '../cli/core-commands.ts';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { createJobWorker } from './runner.ts';
import { cancelJob, installationJobs, JOB_STATES, retryJob } from './service.ts';
import { DomainError } from '../web/errors.ts';
import type { JobState } from './queries.ts';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run the durable job worker on its own (reminders, notifications, schedules)',
  usage:
    'Usage: signpost worker\n\nRuns jobs until stopped (SIGTERM or Ctrl+C). Run any number beside `signpost serve`\n' +
    '(set SIGNPOST_WORKER=false there to keep web processes free of jobs). Configured by DATABASE_URL,\n' +
    'PGLITE_DIR, NOTIFY_API_KEY, NOTIFY_BASE_URL, NOTIFY_TEMPLATE_<NAME>, JOB_LOCK_SECONDS (see docs/operations.md).',
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

const JOBS_USAGE = `Usage: signpost jobs list [--state dead|queued|running|succeeded|cancelled] [--system]
       signpost jobs retry <job id>
       signpost jobs cancel <job id>

For the installation's operator: every tenant's jobs and the system jobs that belong to no tenant
(schedules, tenant fan-outs, feed imports), which no tenant's admin page shows. "list" shows the
latest 100 in a state (default dead: failed after their last try) with the error; --system shows
only system jobs. "retry" queues a dead or cancelled job again with fresh attempts; "cancel" stops a
waiting or dead one.`;

/** Operator access to the queue: list, retry and cancel any job, system jobs included. */
export const jobsCommand: Command = {
  name: 'jobs',
  summary: 'List, retry or cancel background jobs, including system jobs (operators)',
  usage: JOBS_USAGE,
  options: { state: { type: 'string' }, system: { type: 'boolean' } },
  async run({ values, positionals }) {
    const [action, id] = positionals;
    if (action === 'list') {
      const state = (values.state ?? 'dead') as JobState;
      if (!(JOB_STATES as readonly string[]).includes(state)) throw new UsageError(`--state must be one of ${JOB_STATES.join(', ')}.`);
      const jobs = await withDatabase((database) => installationJobs(database.pool, state, values.system === true));
      if (jobs.length === 0) {
        console.log(`No ${values.system ? 'system ' : ''}jobs are ${state}.`);
        return 0;
      }
      for (const job of jobs) {
        console.log(
          `${String(job.id).padStart(8)}  ${job.kind.padEnd(32)} ${job.tenantId ? `tenant ${job.tenantId}` : 'system'}  attempts ${job.attempts}/${job.maxAttempts}  updated ${job.updatedAt.toISOString()}`,
        );
        if (job.lastError) console.log(`          ${job.lastError.split('\n')[0]}`);
      }
      return 0;
    }
    if (action === 'retry' || action === 'cancel') {
      if (!id || !/^\d{1,15}$/.test(id)) throw new UsageError(`Give the job's number, like: signpost jobs ${action} 42`);
      try {
        await withDatabase((database) => (action === 'retry' ? retryJob : cancelJob)(database.pool, 'installation', Number(id)));
      } catch (error) {
        if (error instanceof DomainError) throw new UsageError(error.message);
        throw error;
      }
      console.log(action === 'retry' ? `Job ${id} is queued again.` : `Job ${id} is cancelled.`);
      return 0;
    }
    throw new UsageError(JOBS_USAGE);
  },
};
