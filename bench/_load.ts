// Load generation and reporting shared by the HTTP benchmarks (not a benchmark itself: names
// starting with _ are not listed by `npm run bench`).
//
// autocannon runs in a worker thread, not on the server's event loop: a load generator sharing the
// loop with the app it measures would add its own work to every response time it records.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

/** One request shape; a load run cycles through a list of them in order. */
export interface LoadRequest {
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  connections: number;
  seconds: number;
  /** Stop after this many requests instead of after `seconds`. */
  amount?: number;
  /** The status every response should have; others are reported. */
  expect?: number;
  headers?: Record<string, string>;
  requests?: LoadRequest[];
}

export interface Run {
  label: string;
  requests: number;
  seconds: number;
  /** Milliseconds, one per completed request or query. */
  latencies: number[];
  /** HTTP runs: CPU milliseconds of the load generator itself, which shares the machine's cores. */
  generatorCpuMs?: number;
}

export interface LoadWorkerInput {
  url: string;
  options: LoadOptions;
}

export interface LoadWorkerOutput {
  latencies: number[];
  statuses: Array<[number, number]>;
  seconds: number;
  /** CPU milliseconds the load generator's own thread used. */
  generatorCpuMs?: number;
  error?: string;
}

/** Drives `url` with autocannon from a worker thread and returns every response time. */
export async function cannon(label: string, url: string, options: LoadOptions): Promise<Run> {
  const worker = new Worker(new URL('./_load-worker.mjs', import.meta.url), { workerData: { url, options } satisfies LoadWorkerInput });
  const result = await new Promise<LoadWorkerOutput>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load worker exited with ${code} before reporting`)));
  });
  await worker.terminate();
  if (result.error) throw new Error(`${label}: ${result.error}`);
  const wrong = result.statuses.filter(([status]) => status !== (options.expect ?? 200));
  if (wrong.length) console.log(`  ! ${label}: unexpected statuses ${wrong.map(([s, n]) => `${s} x${n}`).join(', ')}`);
  return {
    label,
    requests: result.latencies.length,
    seconds: result.seconds,
    latencies: result.latencies,
    generatorCpuMs: result.generatorCpuMs,
  };
}

/** The same work as an endpoint does, called directly `connections` at a time for `seconds`. */
export async function direct(label: string, connections: number, seconds: number, work: (i: number) => Promise<unknown>): Promise<Run> {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + seconds * 1000;
  let i = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await work(i++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { label, requests: latencies.length, seconds: (performance.now() - started) / 1000, latencies };
}

export function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

export interface Summary {
  p50: number;
  p95: number;
  rps: number;
}

export function summarise(run: Run): Summary {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), rps: run.requests / run.seconds };
}

/** One line per run: requests, rate, p50 and p95, and any extra words. */
export function reportLine(backend: string, run: Run, extra = ''): Summary {
  const s = summarise(run);
  console.log(
    `${backend.padEnd(10)} ${run.label.padEnd(46)} ${String(run.requests).padStart(7)} req ${s.rps.toFixed(0).padStart(6)} req/s  ` +
      `p50 ${s.p50.toFixed(2).padStart(7)} ms  p95 ${s.p95.toFixed(2).padStart(7)} ms${extra}`,
  );
  return s;
}

/** An endpoint against its own work done directly, with the ratio of their medians. */
export function reportAgainst(backend: string, endpoint: Run, baseline: Run): void {
  const e = summarise(endpoint);
  const b = summarise(baseline);
  reportLine(backend, endpoint, `  endpoint/raw p50 ${(e.p50 / b.p50).toFixed(2)}x`);
  reportLine(backend, baseline);
}
