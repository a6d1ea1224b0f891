import { createHmac } from 'node:crypto';
import type pg from 'pg';
import * as q from './queries.ts';

type Callback = (err: Error | null, result?: { current: number; ttl: number }) => void;

interface RouteLimitOptions {
  routeInfo?: { method?: string | string[]; url?: string };
}

/**
 * A store for @fastify/rate-limit that keeps its counts in the database, so a restart does not
 * reset them and every app process sees the same counts. Each route counts on its own (as the
 * plugin's in-memory store does); keys are an HMAC of route and client address with the session
 * secret, so the table never holds an address and a leaked table cannot be reversed by trying
 * every IPv4 address.
 */
export function databaseRateLimitStore(pool: pg.Pool, secret: string) {
  return class DatabaseRateLimitStore {
    private readonly scope: string;

    // The plugin constructs the root store with its own options object; routes get a child.
    constructor(scope?: unknown) {
      this.scope = typeof scope === 'string' ? scope : '';
    }

    private keyOf(key: string): string {
      return createHmac('sha256', secret).update(`rate-limit\n${this.scope}\n${key}`).digest('hex');
    }

    incr(key: string, callback: Callback, timeWindowMs: number): void {
      q.countRequest(pool, this.keyOf(key), timeWindowMs / 1000).then(
        ({ hits, ttlMs }) => callback(null, { current: hits, ttl: ttlMs }),
        (err: Error) => callback(err),
      );
    }

    read(key: string, callback: Callback, timeWindowMs: number): void {
      q.readRequestCount(pool, this.keyOf(key), timeWindowMs / 1000).then(
        ({ hits, ttlMs }) => callback(null, { current: hits, ttl: ttlMs }),
        (err: Error) => callback(err),
      );
    }

    // Called with the route's merged rate-limit options, which carry the route as `routeInfo`.
    child(routeOptions: object): DatabaseRateLimitStore {
      const options = routeOptions as RouteLimitOptions;
      const method = [options.routeInfo?.method ?? ''].flat().join(',');
      return new DatabaseRateLimitStore(`${method} ${options.routeInfo?.url ?? ''}`);
    }
  };
}
