// CPU time spent by the Node server thread and by the PostgreSQL backends of one database, read
// from /proc (Linux), so a benchmark can print CPU per request for each side separately (not a
// benchmark itself: names starting with _ are not listed by `npm run bench`).
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of one /proc stat file, in milliseconds; 0 when the process has gone. */
function statMs(path: string): number {
  try {
    // The command name (field 2) may hold spaces; fields after its closing bracket are fixed.
    const text = readFileSync(path, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * The main thread only: the load generator runs in a worker thread of the same process and must
 * not be counted. PGlite runs on this thread too, so on PGlite this is Node and database together.
 */
export function nodeCpuMs(): number {
  return statMs(`/proc/self/task/${process.pid}/stat`);
}

export interface CpuSample {
  node: number;
  postgres: number;
}

/** CPU milliseconds of each server process of the database now, by process id. */
function postgresByPid(database: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('postgres:') &&
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(` ${database} `)
      ) {
        found.set(pid, statMs(`/proc/${pid}/stat`));
      }
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * Runs `work` and returns its result with the CPU milliseconds each side used meanwhile. The
 * database's processes are sampled every 250 ms, so a connection the pool closes during the run
 * still counts (up to its last sample), and one it opens counts from zero.
 */
export async function withCpu<T>(database: string | undefined, work: () => Promise<T>): Promise<{ result: T; cpu: CpuSample }> {
  const node = nodeCpuMs();
  const first = database ? postgresByPid(database) : new Map<string, number>();
  const last = new Map(first);
  const sample = () => {
    if (!database) return;
    for (const [pid, ms] of postgresByPid(database)) last.set(pid, ms);
  };
  const timer = setInterval(sample, 250);
  try {
    const result = await work();
    sample();
    let postgres = 0;
    for (const [pid, ms] of last) postgres += ms - (first.get(pid) ?? 0);
    return { result, cpu: { node: nodeCpuMs() - node, postgres } };
  } finally {
    clearInterval(timer);
  }
}
