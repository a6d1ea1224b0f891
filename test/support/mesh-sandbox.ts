import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * NHS England's MESH sandbox (a local MESH API; source in shared/mesh-sandbox) for the tests that
 * play a GP practice. Its start.sh builds a Python virtual environment, which takes from half a
 * minute to a few minutes; the environment is kept once per machine under the OS temp directory,
 * keyed by the sandbox's dependency list and Python's version, and each test file gets a fresh
 * data directory (so no messages from an earlier run) with that environment linked in.
 */
const REQUIREMENTS = 'fastapi uvicorn cryptography python-dateutil';

export function meshSandboxDir(): string {
  const candidates = [
    process.env.MESH_SANDBOX_DIR,
    path.resolve(import.meta.dirname, '../../../shared/mesh-sandbox'),
    '/work/shared/mesh-sandbox',
  ].filter((c): c is string => !!c);
  const found = candidates.find((c) => existsSync(path.join(c, 'start.sh')));
  if (!found) throw new Error(`The MESH sandbox was not found (looked in ${candidates.join(', ')}); set MESH_SANDBOX_DIR`);
  return found;
}

async function sleep(ms: number) {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** The cached virtual environment, built once (under a lock, so parallel test files wait for one build). */
async function cachedVenv(): Promise<string> {
  const { stdout: version } = await run('python3', ['-c', 'import sys; print(sys.version)']);
  const key = createHash('sha256').update(`${REQUIREMENTS}\n${version}`).digest('hex').slice(0, 16);
  const home = path.join(tmpdir(), `signpost-mesh-sandbox-${key}`);
  const ready = path.join(home, 'ready');
  const lock = `${home}.lock`;
  const deadline = Date.now() + 10 * 60_000;
  while (!existsSync(ready)) {
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) throw new Error(`Gave up waiting for another process building ${home} (remove ${lock} if none is)`);
      await sleep(1000);
      continue;
    }
    try {
      rmSync(home, { recursive: true, force: true });
      mkdirSync(home, { recursive: true });
      await run('python3', ['-m', 'venv', path.join(home, 'venv')]);
      // A single retry: an index that is not reachable then fails quickly instead of backing off.
      await run(path.join(home, 'venv/bin/pip'), ['install', '-q', '--retries', '1', ...REQUIREMENTS.split(' ')], { timeout: 9 * 60_000 });
      writeFileSync(ready, new Date().toISOString());
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return path.join(home, 'venv');
}

export interface MeshSandbox {
  url: string;
  stop(): Promise<void>;
}

/** Whether something already listens on the loopback port (start.sh would then find that one healthy). */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startMeshSandbox(port: number): Promise<MeshSandbox> {
  if (await portInUse(port))
    throw new Error(`Port ${port} is already in use (a MESH sandbox left from an earlier run?); the tests need a fresh one there`);
  const venv = await cachedVenv();
  const data = mkdtempSync(path.join(tmpdir(), 'signpost-mesh-run-'));
  symlinkSync(venv, path.join(data, 'venv'));
  const { stdout } = await run('bash', [path.join(meshSandboxDir(), 'start.sh'), String(port), data], { timeout: 60_000 });
  const url = stdout.trim().split('\n').at(-1)!;
  return {
    url,
    async stop() {
      const pid = Number(readFileSync(path.join(data, 'pid'), 'utf8').trim());
      // Never 0 or negative: those would signal this whole process group.
      if (!Number.isInteger(pid) || pid <= 1) throw new Error(`The MESH sandbox's pid file holds no process id: ${data}/pid`);
      try {
        process.kill(pid);
      } catch {
        /* already gone */
      }
      for (let i = 0; i < 50; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await sleep(100);
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}
