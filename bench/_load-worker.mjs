// The worker thread behind cannon() in _load.ts: runs autocannon and posts every response time
// back. Plain JavaScript, as worker threads start without the TypeScript loader.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';

/** This thread's CPU milliseconds (utime + stime, Linux), so a run can say what the load itself cost. */
function threadCpuMs() {
  try {
    const text = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
const cpuAtStart = threadCpuMs();

/** @type {import('./_load.ts').LoadWorkerInput} */
const { url, options } = workerData;
const latencies = [];
const statuses = new Map();
const started = performance.now();
let next = 0;
const shapes = options.requests ?? [];
const requests = shapes.length
  ? [
      {
        method: shapes[0].method ?? 'GET',
        setupRequest: (request) => {
          const shape = shapes[next++ % shapes.length];
          return {
            ...request,
            method: shape.method ?? 'GET',
            path: shape.path,
            headers: { ...request.headers, ...shape.headers },
            ...(shape.body === undefined ? {} : { body: shape.body }),
          };
        },
      },
    ]
  : undefined;

try {
  await new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: options.connections,
        ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
        ...(options.headers ? { headers: options.headers } : {}),
        ...(requests ? { requests } : {}),
      },
      (error) => (error ? reject(error) : resolve()),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    });
  });
  parentPort.postMessage({
    latencies,
    statuses: [...statuses],
    seconds: (performance.now() - started) / 1000,
    generatorCpuMs: threadCpuMs() - cpuAtStart,
  });
} catch (error) {
  parentPort.postMessage({ latencies, statuses: [...statuses], seconds: 0, error: String(error) });
}
