import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from '../db/transaction.ts';
import * as q from './queries.ts';
import {
  backoffSeconds,
  PermanentJobError,
  registeredHandlers,
  registeredRecurringJobs,
  systemClock,
  type Clock,
  type JobLog,
  type RecurringJob,
  type RegisteredHandler,
} from './queue.ts';

export interface WorkerOptions {
  pool: pg.Pool;
  clock?: Clock;
  log?: JobLog;
  /** Jobs one worker runs at a time. */
  concurrency?: number;
  /** How long a claim lasts; a worker that dies holds its jobs this long at most. */
  lockSeconds?: number;
  /** Idle wait between polls when nothing is due. */
  pollMilliseconds?: number;
  handlers?: ReadonlyMap<string, RegisteredHandler>;
  schedules?: RecurringJob[];
  workerId?: string;
}

const silentLog: JobLog = { info() {}, warn() {}, error() {} };

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal?.addEventListener('abort', wake, { once: true });
  });

function describe(error: unknown): string {
  // A plain Error's name adds nothing for the admin who reads this; a TypeError's does.
  const message =
    error instanceof Error && !['Error', 'PermanentJobError'].includes(error.name)
      ? `${error.name}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
  return message.slice(0, 2000);
}

/**
 * Claims due jobs and runs their handlers. Handlers run outside any transaction the worker holds
 * (PGlite has one connection: holding it across a handler would stall every request).
 */
export class JobWorker {
  readonly workerId: string;
  private readonly pool: pg.Pool;
  private readonly clock: Clock;
  private readonly log: JobLog;
  private readonly concurrency: number;
  private readonly lockSeconds: number;
  private readonly pollMilliseconds: number;
  private readonly handlers: ReadonlyMap<string, RegisteredHandler>;
  private readonly schedules: RecurringJob[];
  private loop: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private schedulesWritten = false;
  /** Consecutive failed polls (the database away): the wait between polls grows with it. */
  consecutiveFailures = 0;

  constructor(options: WorkerOptions) {
    this.pool = options.pool;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLog;
    this.concurrency = options.concurrency ?? 1;
    this.lockSeconds = options.lockSeconds ?? 300;
    this.pollMilliseconds = options.pollMilliseconds ?? 1000;
    this.handlers = options.handlers ?? registeredHandlers();
    this.schedules = options.schedules ?? registeredRecurringJobs();
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  }

  /** Polls until `stop()`; a database outage makes it back off and try again, never throw. */
  start(): void {
    if (this.loop) return;
    this.loop = (async () => {
      while (!this.stopping.signal.aborted) {
        try {
          const ran = await this.runOnce();
          this.consecutiveFailures = 0;
          if (ran === 0) await sleep(this.pollMilliseconds, this.stopping.signal);
        } catch (error) {
          this.consecutiveFailures++;
          const wait = Math.min(30_000, this.pollMilliseconds * 2 ** Math.min(this.consecutiveFailures, 10));
          this.log.warn(
            { err: describe(error), retryInMs: wait, failures: this.consecutiveFailures },
            'job worker cannot reach the database; backing off',
          );
          await sleep(wait, this.stopping.signal);
        }
      }
    })();
  }

  /** Stops polling and waits for the jobs in hand to finish. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  /** Writes schedules, turns due schedule runs into jobs, then claims and runs one batch. */
  async runOnce(): Promise<number> {
    if (!this.schedulesWritten) await this.writeSchedules();
    if (this.schedules.length) await this.enqueueDueSchedules();
    const kinds = [...this.handlers.keys()];
    if (kinds.length === 0) return 0;
    const jobs = await q.claimJobs(this.pool, {
      workerId: this.workerId,
      kinds,
      now: this.clock.now(),
      lockSeconds: this.lockSeconds,
      limit: this.concurrency,
    });
    await Promise.all(jobs.map((job) => this.run(job)));
    return jobs.length;
  }

  /** Runs batches until nothing is due (tests and benchmarks); returns how many jobs ran. */
  async drain(maxBatches = 10_000): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const ran = await this.runOnce();
      if (ran === 0) break;
      total += ran;
    }
    return total;
  }

  private async writeSchedules(): Promise<void> {
    for (const schedule of this.schedules) {
      const timeZone = schedule.timeZone ?? 'Europe/London';
      await q.upsertSchedule(this.pool, {
        name: schedule.name,
        cron: schedule.cron,
        timeZone,
        kind: schedule.kind,
        payload: schedule.payload ?? {},
        nextRunAt: q.nextCronTime(schedule.cron, timeZone, this.clock.now()),
      });
    }
    this.schedulesWritten = true;
  }

  private async enqueueDueSchedules(): Promise<void> {
    const now = this.clock.now();
    await withTransaction(this.pool, async (tx) => {
      const due = await q.lockDueSchedules(
        tx,
        now,
        this.schedules.map((s) => s.name),
      );
      for (const schedule of due) {
        // Runs missed while no worker was up collapse into one: a reminder scan catches up by itself.
        await q.insertJob(tx, {
          kind: schedule.kind,
          tenantId: null,
          payload: schedule.payload,
          runAt: schedule.nextRunAt,
          idempotencyKey: `schedule:${schedule.name}:${schedule.nextRunAt.toISOString()}`,
          maxAttempts: this.handlers.get(schedule.kind)?.options.maxAttempts ?? 5,
        });
        await q.advanceSchedule(tx, schedule.name, schedule.nextRunAt, q.nextCronTime(schedule.cron, schedule.timeZone, now));
      }
    });
  }

  private async run(job: q.JobRow): Promise<void> {
    const registered = this.handlers.get(job.kind)!;
    if (job.attempts > job.maxAttempts) {
      // Only a job whose workers kept dying gets here: its lock expired on the last attempt.
      await q.markDead(
        this.pool,
        job.id,
        this.workerId,
        this.clock.now(),
        job.lastError ?? 'The worker running this job stopped before it finished, on every attempt.',
      );
      return;
    }
    const heartbeat = setInterval(
      () => {
        const until = new Date(this.clock.now().getTime() + this.lockSeconds * 1000);
        q.extendLock(this.pool, job.id, this.workerId, until).catch(() => {});
      },
      Math.max(1000, (this.lockSeconds * 1000) / 3),
    );
    heartbeat.unref();
    let failure: { error: unknown } | undefined;
    try {
      await registered.handler({
        id: job.id,
        kind: job.kind,
        tenantId: job.tenantId,
        payload: job.payload,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
        pool: this.pool,
        clock: this.clock,
        log: this.log,
      });
    } catch (error) {
      failure = { error };
    } finally {
      clearInterval(heartbeat);
    }
    if (!failure) {
      await q.markSucceeded(this.pool, job.id, this.workerId, this.clock.now());
    } else {
      const { error } = failure;
      const now = this.clock.now();
      const message = describe(error);
      if (error instanceof PermanentJobError || job.attempts >= job.maxAttempts) {
        this.log.error({ jobId: job.id, kind: job.kind, attempts: job.attempts, err: message }, 'job failed for good; dead-lettered');
        await q.markDead(this.pool, job.id, this.workerId, now, message);
      } else {
        const delay = backoffSeconds(job.attempts, registered.options.backoffSeconds);
        this.log.warn(
          { jobId: job.id, kind: job.kind, attempts: job.attempts, retryInSeconds: delay, err: message },
          'job failed; will retry',
        );
        await q.markRetry(this.pool, job.id, this.workerId, now, new Date(now.getTime() + delay * 1000), message);
      }
    }
  }
}
