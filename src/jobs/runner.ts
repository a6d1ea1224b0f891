import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { JobLog } from './queue.ts';
import { JobWorker } from './worker.ts';
import { wireAreas, wireJobSettings } from '../wiring.ts';

/** A worker over every registered handler and schedule, configured from the environment. */
export function createJobWorker(database: Database, config: Config, log: JobLog): JobWorker {
  wireAreas();
  wireJobSettings(config);
  return new JobWorker({
    pool: database.pool,
    log,
    lockSeconds: config.jobLockSeconds,
    // PGlite runs every query on this one event loop, so more parallel jobs gain nothing there.
    concurrency: database.backend === 'pglite' ? 2 : 4,
  });
}

/** Runs the job worker inside `signpost serve` unless SIGNPOST_WORKER=false. */
export function setUpJobWorker(app: FastifyInstance, config: Config, database: Database): void {
  if (!config.runWorker) return;
  const worker = createJobWorker(database, config, app.log);
  app.addHook('onReady', async () => {
    worker.start();
  });
  app.addHook('onClose', async () => {
    await worker.stop();
  });
}
