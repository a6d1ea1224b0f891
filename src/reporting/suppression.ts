/**
 * Small-number suppression for aggregate reports. Every count under 5 (0 included) is shown as
 * "<5". Where the shown figures of a table and its total would still let a reader work out a
 * hidden count, the next smallest count is hidden too ("[c]", secondary suppression), and so on
 * until no hidden count can be worked out; a total is hidden only when nothing else is left.
 *
 * The reader this protects against knows the rule: "<5" is 0 to 4, "[c]" is 5 or more and no
 * larger than the smallest count still shown beside it, and the counts of a table add up to its
 * total. Tables are lines over named cells, so one cell can sit in several tables: the grand
 * total of every breakdown of the same referrals is one cell, and the "Discharged" row of the
 * status table is the total of the discharges-by-reason table. Hiding it in one hides it in all.
 */

export const SMALL_NUMBER = 5;
export const SMALL_TEXT = '<5';
export const SECONDARY_TEXT = '[c]';

/** A table: its member cells add up to its total cell. */
export interface Line {
  total: string;
  members: readonly string[];
}

export interface Shown {
  /** What the page and the CSV show. */
  text: string;
  /** The count when it is shown; null when hidden. */
  value: number | null;
  hidden: false | 'small' | 'secondary';
}

type Hidden = 'small' | 'secondary';

interface Range { lo: number; hi: number }

/** What the reader can tell about a cell from what is shown. */
function readerRange(id: string, value: number, hidden: Map<string, Hidden>, smallestShownBeside: number): Range {
  const kind = hidden.get(id);
  if (!kind) return { lo: value, hi: value };
  if (kind === 'small') return { lo: 0, hi: SMALL_NUMBER - 1 };
  return { lo: SMALL_NUMBER, hi: Math.max(SMALL_NUMBER, smallestShownBeside) };
}

/** The hidden cells of a line the reader could pin to one value from the line's sum. */
function determinedIn(line: Line, cells: Record<string, number>, hidden: Map<string, Hidden>): boolean {
  const shownMembers = line.members.filter((m) => !hidden.has(m)).map((m) => cells[m]!);
  const smallest = shownMembers.length ? Math.min(...shownMembers) : Infinity;
  const members = line.members.map((m) => readerRange(m, cells[m]!, hidden, smallest));
  const total = readerRange(line.total, cells[line.total]!, hidden, Infinity);
  const sum = (ranges: Range[], key: 'lo' | 'hi') => ranges.reduce((s, r) => s + r[key], 0);
  // total = sum(members): each hidden member lies within the total minus the others' range.
  for (const [i, id] of line.members.entries()) {
    if (!hidden.has(id)) continue;
    const own = members[i]!;
    const others = members.filter((_, j) => j !== i);
    const lo = Math.max(own.lo, total.lo - sum(others, 'hi'));
    const hi = Math.min(own.hi, total.hi - sum(others, 'lo'));
    if (lo >= hi) return true;
  }
  if (hidden.has(line.total)) {
    const lo = Math.max(total.lo, sum(members, 'lo'));
    const hi = Math.min(total.hi, sum(members, 'hi'));
    if (lo >= hi) return true;
  }
  return false;
}

/**
 * Suppresses a set of linked tables. `cells` holds every count by name; `lines` says which
 * cells add up to which. Returns what to show for every cell. Pure: same input, same output.
 */
export function suppressCounts(cells: Record<string, number>, lines: readonly Line[]): Record<string, Shown> {
  const hidden = new Map<string, Hidden>();
  for (const [id, value] of Object.entries(cells)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`A count must be a whole number of 0 or more; ${id} is ${value}.`);
    if (value < SMALL_NUMBER) hidden.set(id, 'small');
  }
  for (const line of lines) {
    for (const id of [line.total, ...line.members]) if (!(id in cells)) throw new Error(`The table names a cell with no count: ${id}.`);
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const line of lines) {
      if (!determinedIn(line, cells, hidden)) continue;
      const next = line.members.filter((m) => !hidden.has(m)).sort((a, b) => cells[a]! - cells[b]! || line.members.indexOf(a) - line.members.indexOf(b))[0]
        ?? (hidden.has(line.total) ? undefined : line.total);
      if (next === undefined) continue;
      hidden.set(next, 'secondary');
      changed = true;
    }
  }
  const shown: Record<string, Shown> = {};
  for (const [id, value] of Object.entries(cells)) {
    const kind = hidden.get(id);
    shown[id] = kind === 'small' ? { text: SMALL_TEXT, value: null, hidden: 'small' }
      : kind === 'secondary' ? { text: SECONDARY_TEXT, value: null, hidden: 'secondary' }
        : { text: String(value), value, hidden: false };
  }
  return shown;
}

/** One table on its own: its counts and their total. */
export function suppressTable(counts: readonly number[]): { cells: Shown[]; total: Shown } {
  const cells: Record<string, number> = { total: counts.reduce((s, n) => s + n, 0) };
  counts.forEach((n, i) => { cells[`c${i}`] = n; });
  const shown = suppressCounts(cells, [{ total: 'total', members: counts.map((_, i) => `c${i}`) }]);
  return { cells: counts.map((_, i) => shown[`c${i}`]!), total: shown.total! };
}
