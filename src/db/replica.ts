import pg from 'pg';
import { replicaLagSeconds } from './queries.ts';

/** What the last check of the read replica found. */
export interface ReplicaStatus {
  state: 'unchecked' | 'ok' | 'lagging' | 'down' | 'not a replica';
  lagSeconds?: number;
  checkedAt?: Date;
  /** True when reads go to the replica now; otherwise they go to the primary. */
  inUse: boolean;
}

export interface ReadReplica {
  /** A pool-shaped handle: each query or connect goes to the replica when it is usable, else the primary. */
  reads: pg.Pool;
  status(): ReplicaStatus;
  /** Checks now (start-up, tests); the timer checks every `checkEverySeconds` on its own. */
  check(): Promise<ReplicaStatus>;
  close(): Promise<void>;
}

/**
 * Sends read-only work to a streaming replica while it is up and at most `maxLagSeconds` behind,
 * and to the primary otherwise. The replica is checked on a timer, never per query, so a slow or
 * dead replica costs one check every few seconds rather than every request.
 */
export function readReplica(
  primary: pg.Pool,
  url: string,
  options: { maxLagSeconds: number; checkEverySeconds?: number; max?: number },
): ReadReplica {
  const replica = new pg.Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: 2000 });
  // A replica that goes away must not crash the process; the next check marks it down.
  replica.on('error', () => {});
  let current: ReplicaStatus = { state: 'unchecked', inUse: false };
  let checking: Promise<ReplicaStatus> | undefined;

  async function runCheck(): Promise<ReplicaStatus> {
    try {
      const lag = await Promise.race([
        replicaLagSeconds(replica),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('replica check timed out')), 2000).unref()),
      ]);
      if (lag === null) current = { state: 'not a replica', checkedAt: new Date(), inUse: true };
      else
        current = {
          state: lag <= options.maxLagSeconds ? 'ok' : 'lagging',
          lagSeconds: Math.round(lag * 10) / 10,
          checkedAt: new Date(),
          inUse: lag <= options.maxLagSeconds,
        };
    } catch {
      current = { state: 'down', checkedAt: new Date(), inUse: false };
    }
    return current;
  }
  const check = () =>
    (checking ??= runCheck().finally(() => {
      checking = undefined;
    }));
  void check();
  const timer = setInterval(() => void check(), (options.checkEverySeconds ?? 5) * 1000);
  timer.unref();

  const target = () => (current.inUse ? replica : primary);
  const reads = new Proxy(primary, {
    get(_pool, property) {
      const pool = target();
      const value = Reflect.get(pool, property, pool) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(pool) : value;
    },
  });
  return {
    reads,
    status: () => current,
    check,
    async close() {
      clearInterval(timer);
      await replica.end();
    },
  };
}
