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

interface Range {
  lo: number;
  hi: number;
}

/**
 * What the reader can tell about every cell: each starts from what is shown ("<5" is 0 to 4,
 * "[c]" is 5 or more and, as the next smallest, no more than the smallest count shown beside
 * it), then every table's sum narrows its cells in turn until nothing narrows further, so what
 * one table gives away about a shared cell is used in the others too. Returns the hidden cells
 * left with a single possible value.
 */
function determinedCells(cells: Record<string, number>, lines: readonly Line[], hidden: Map<string, Hidden>): string[] {
  const range = new Map<string, Range>();
  for (const [id, value] of Object.entries(cells)) {
    const kind = hidden.get(id);
    range.set(
      id,
      !kind ? { lo: value, hi: value } : kind === 'small' ? { lo: 0, hi: SMALL_NUMBER - 1 } : { lo: SMALL_NUMBER, hi: Infinity },
    );
  }
  for (const line of lines) {
    const shown = line.members.filter((m) => !hidden.has(m)).map((m) => cells[m]!);
    if (!shown.length) continue;
    const ceiling = Math.max(SMALL_NUMBER, Math.min(...shown));
    for (const m of line.members) if (hidden.get(m) === 'secondary') range.get(m)!.hi = Math.min(range.get(m)!.hi, ceiling);
  }
  const sum = (ids: readonly string[], key: 'lo' | 'hi') => ids.reduce((s, id) => s + range.get(id)![key], 0);
  for (let pass = 0, narrowed = true; narrowed && pass < 100; pass++) {
    narrowed = false;
    const narrow = (id: string, lo: number, hi: number) => {
      const r = range.get(id)!;
      if (lo > r.lo) {
        r.lo = lo;
        narrowed = true;
      }
      if (hi < r.hi) {
        r.hi = hi;
        narrowed = true;
      }
    };
    for (const line of lines) {
      const total = range.get(line.total)!;
      // total = sum(members): each member lies within the total minus the others' range. The
      // members' sums are kept up to date as they narrow (infinite upper bounds counted apart),
      // so a line costs one pass rather than one pass per member.
      let lo = 0;
      let hi = 0;
      let unbounded = 0;
      for (const o of line.members) {
        const r = range.get(o)!;
        lo += r.lo;
        if (r.hi === Infinity) unbounded++;
        else hi += r.hi;
      }
      for (const m of line.members) {
        if (!hidden.has(m)) continue;
        const r = range.get(m)!;
        const before = { lo: r.lo, hi: r.hi };
        const othersUnbounded = unbounded - (r.hi === Infinity ? 1 : 0);
        const othersHi = othersUnbounded > 0 ? Infinity : hi - (r.hi === Infinity ? 0 : r.hi);
        narrow(m, total.lo - othersHi, total.hi - (lo - r.lo));
        lo += r.lo - before.lo;
        if (before.hi === Infinity && r.hi !== Infinity) {
          unbounded--;
          hi += r.hi;
        } else if (before.hi !== Infinity) hi += r.hi - before.hi;
      }
      if (hidden.has(line.total)) narrow(line.total, sum(line.members, 'lo'), sum(line.members, 'hi'));
    }
  }
  return [...hidden.keys()].filter((id) => range.get(id)!.lo >= range.get(id)!.hi);
}

/** The next cell to hide so that `id` can no longer be worked out, if there is one. */
function nextToHide(id: string, cells: Record<string, number>, lines: readonly Line[], hidden: Map<string, Hidden>): string | undefined {
  const around = [...lines.filter((l) => l.members.includes(id)), ...lines.filter((l) => l.total === id)];
  for (const line of around) {
    const shown = line.members.filter((m) => !hidden.has(m));
    if (shown.length) return shown.sort((a, b) => cells[a]! - cells[b]! || line.members.indexOf(a) - line.members.indexOf(b))[0];
  }
  return around.map((l) => l.total).find((t) => !hidden.has(t));
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
  for (;;) {
    const next = determinedCells(cells, lines, hidden)
      .map((id) => nextToHide(id, cells, lines, hidden))
      .find((id) => id !== undefined);
    if (next === undefined) break;
    hidden.set(next, 'secondary');
  }
  const shown: Record<string, Shown> = {};
  for (const [id, value] of Object.entries(cells)) {
    const kind = hidden.get(id);
    shown[id] =
      kind === 'small'
        ? { text: SMALL_TEXT, value: null, hidden: 'small' }
        : kind === 'secondary'
          ? { text: SECONDARY_TEXT, value: null, hidden: 'secondary' }
          : { text: String(value), value, hidden: false };
  }
  return shown;
}

/** One table on its own: its counts and their total. */
export function suppressTable(counts: readonly number[]): { cells: Shown[]; total: Shown } {
  const cells: Record<string, number> = { total: counts.reduce((s, n) => s + n, 0) };
  counts.forEach((n, i) => {
    cells[`c${i}`] = n;
  });
  const shown = suppressCounts(cells, [{ total: 'total', members: counts.map((_, i) => `c${i}`) }]);
  return { cells: counts.map((_, i) => shown[`c${i}`]!), total: shown.total! };
}
