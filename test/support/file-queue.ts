import { appendFileSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { describe } from 'node:test';
import { pathToFileURL } from 'node:url';
import { endQueue, runningInQueue } from './queue-end.ts';

// One of the suite's worker processes (see scripts/test.mjs). It takes test files from a shared
// queue one at a time and runs each as its own suite, so its hooks, database and app are its own,
// while the process imports the app and compiles PGlite once rather than once a file. Claiming is
// a rename: exactly one worker gets each file, and the slowest files are queued first.

const queue = process.env.TEST_QUEUE_DIR;
if (!queue) throw new Error('TEST_QUEUE_DIR is set by scripts/test.mjs');

function claimNext(): string | undefined {
  for (const entry of readdirSync(path.join(queue!, 'waiting')).sort()) {
    const claimed = path.join(queue!, 'claimed', `${entry}.${process.pid}`);
    try {
      renameSync(path.join(queue!, 'waiting', entry), claimed);
    } catch {
      continue; // another worker took it first
    }
    return readFileSync(claimed, 'utf8');
  }
  return undefined;
}

runningInQueue();
for (let file = claimNext(); file; file = claimNext()) {
  const started = Date.now();
  // The time limit is per file here; the worker process as a whole runs until the queue is empty.
  await describe(file, { timeout: 300_000 }, async () => {
    await import(pathToFileURL(path.resolve(file!)).href);
  });
  appendFileSync(path.join(queue, 'timings.jsonl'), `${JSON.stringify({ file, seconds: (Date.now() - started) / 1000 })}\n`);
}
await endQueue();
