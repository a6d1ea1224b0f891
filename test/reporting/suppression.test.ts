// Touches no database: runs once, in the PGlite pass (scripts/test.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DemoRandom } from '../../src/demo/random.ts';
import { SECONDARY_TEXT, SMALL_TEXT, suppressCounts, suppressTable, type Line, type Shown } from '../../src/reporting/suppression.ts';

// Property tests over many random tables from a seeded generator (fast-check is not a
// dependency). The reader model the check uses is weaker than the one the function defends
// against, and the check itself is independent of it: it enumerates every assignment of the
// hidden cells that agrees with what is shown and asks whether any hidden cell has only one
// possible value. "<5" means 0 to 4; "[c]" means 5 or more.

const CASES = 1500;

function aCount(random: DemoRandom): number {
  // Plenty of small counts and zeros, some large ones.
  return random.chance(0.5) ? random.int(0, 4) : random.chance(0.7) ? random.int(5, 12) : random.int(13, 60);
}

function readerBounds(shown: Shown, cap: number): [number, number] | undefined {
  if (shown.hidden === 'small') return [0, 4];
  if (shown.hidden === 'secondary') return [5, Math.max(5, cap)];
  return undefined;
}

/**
 * Every value each hidden cell can take, given what is shown and that each line's members add
 * up to its total. Brute force over all hidden cells; `cap` bounds "5 or more" a little above
 * the largest count, so the search ends.
 */
function possibleValues(shown: Record<string, Shown>, lines: readonly Line[], cap: number): Map<string, Set<number>> | undefined {
  const hidden = Object.keys(shown).filter((id) => shown[id]!.hidden);
  const ranges = hidden.map((id) => readerBounds(shown[id]!, cap)!);
  const combinations = ranges.reduce((n, [lo, hi]) => n * (hi - lo + 1), 1);
  if (combinations > 400_000) return undefined;
  const possible = new Map(hidden.map((id) => [id, new Set<number>()]));
  const value: Record<string, number> = {};
  for (const [id, s] of Object.entries(shown)) if (!s.hidden) value[id] = s.value!;
  const consistent = () => lines.every((l) => l.members.reduce((sum, m) => sum + value[m]!, 0) === value[l.total]);
  const walk = (i: number) => {
    if (i === hidden.length) {
      if (consistent()) for (const id of hidden) possible.get(id)!.add(value[id]!);
      return;
    }
    const [lo, hi] = ranges[i]!;
    for (let v = lo; v <= hi; v++) {
      value[hidden[i]!] = v;
      walk(i + 1);
    }
  };
  walk(0);
  return possible;
}

function checkProtected(cells: Record<string, number>, lines: readonly Line[], shown: Record<string, Shown>, label: string): boolean {
  for (const [id, truth] of Object.entries(cells)) {
    const s = shown[id]!;
    if (truth < 5) assert.equal(s.text, SMALL_TEXT, `${label}: ${id}=${truth} must show as <5`);
    if (!s.hidden) assert.equal(s.text, String(truth), `${label}: a shown count is the true count`);
    if (s.hidden === 'secondary') assert.ok(truth >= 5, `${label}: "[c]" is never a count under 5`);
    if (s.hidden === 'secondary') assert.equal(s.text, SECONDARY_TEXT);
  }
  // A reader knows no upper limit for a hidden count beyond what the shown totals imply.
  const cap = Math.max(...Object.values(cells)) + 5;
  const possible = possibleValues(shown, lines, cap);
  if (!possible) return false;
  for (const [id, values] of possible) {
    assert.ok(values.has(cells[id]!), `${label}: the truth is among the possibilities for ${id}`);
    assert.ok(
      values.size >= 2,
      `${label}: ${id} (${cells[id]}) can be worked out from what is shown: ${JSON.stringify(Object.fromEntries(Object.entries(shown).map(([k, v]) => [k, v.text])))}`,
    );
  }
  return true;
}

test('a single table: no count under 5 is shown, and no hidden count can be worked out from the shown counts and total', () => {
  const random = new DemoRandom(90);
  let checked = 0;
  for (let i = 0; i < CASES; i++) {
    const counts = Array.from({ length: random.int(1, 7) }, () => aCount(random));
    const { cells, total } = suppressTable(counts);
    const named: Record<string, number> = { total: counts.reduce((s, n) => s + n, 0) };
    const shown: Record<string, Shown> = { total };
    counts.forEach((n, j) => {
      named[`c${j}`] = n;
      shown[`c${j}`] = cells[j]!;
    });
    if (checkProtected(named, [{ total: 'total', members: counts.map((_, j) => `c${j}`) }], shown, `table ${JSON.stringify(counts)}`))
      checked++;
  }
  assert.ok(checked > CASES * 0.9, `most cases were small enough to enumerate (${checked})`);
});

test('linked tables: two breakdowns of the same referrals and a breakdown of one of their rows protect each other', () => {
  const random = new DemoRandom(2026);
  let checked = 0;
  for (let i = 0; i < CASES; i++) {
    // Status of N referrals (a, b, discharged) and their source (x, y); discharges by reason (r1, r2).
    const r = [aCount(random), aCount(random)];
    const status = [aCount(random), aCount(random), r[0]! + r[1]!];
    const total = status.reduce((s, n) => s + n, 0);
    const x = random.int(0, total);
    const cells = { total, a: status[0]!, b: status[1]!, discharged: status[2]!, x, y: total - x, r1: r[0]!, r2: r[1]! };
    const lines: Line[] = [
      { total: 'total', members: ['a', 'b', 'discharged'] },
      { total: 'total', members: ['x', 'y'] },
      { total: 'discharged', members: ['r1', 'r2'] },
    ];
    const shown = suppressCounts(cells, lines);
    if (checkProtected(cells, lines, shown, `linked ${JSON.stringify(cells)}`)) checked++;
  }
  assert.ok(checked > CASES * 0.5, `enough cases were small enough to enumerate (${checked})`);
});

test('tables with no count under 5 are shown whole, and the classic cases hide the next smallest count', () => {
  assert.deepEqual(
    suppressTable([12, 30, 7]).cells.map((c) => c.text),
    ['12', '30', '7'],
  );
  assert.equal(suppressTable([12, 30, 7]).total.text, '49');
  // One count under 5 beside a total: the next smallest (7) is hidden too.
  assert.deepEqual(
    suppressTable([3, 30, 7]).cells.map((c) => c.text),
    ['<5', '30', '[c]'],
  );
  assert.equal(suppressTable([3, 30, 7]).total.text, '40');
  // Two counts under 5 that still cannot be told apart: nothing more is hidden.
  assert.deepEqual(
    suppressTable([2, 3, 30]).cells.map((c) => c.text),
    ['<5', '<5', '30'],
  );
  // Two zeros: the reader would know both are 0, so the next smallest is hidden.
  assert.deepEqual(
    suppressTable([0, 0, 30, 9]).cells.map((c) => c.text),
    ['<5', '<5', '30', '[c]'],
  );
  // A total under 5 is itself "<5".
  assert.equal(suppressTable([1, 2]).total.text, '<5');
  // Six in one row and two zeros: the zeros could still be 0 or 1 each, so the total stays.
  const six = suppressTable([6, 0, 0]);
  assert.deepEqual([...six.cells.map((c) => c.text), six.total.text], ['[c]', '<5', '<5', '6']);
  // Five and a zero: "[c]" is at least 5, so the total would give both away; it is hidden too.
  const five = suppressTable([5, 0]);
  assert.deepEqual([...five.cells.map((c) => c.text), five.total.text], ['[c]', '<5', '[c]']);
});

test('the function is pure and refuses counts that are not whole numbers of 0 or more', () => {
  const cells = { total: 20, a: 3, b: 17 };
  const lines = [{ total: 'total', members: ['a', 'b'] }];
  assert.deepEqual(suppressCounts(cells, lines), suppressCounts({ ...cells }, lines));
  assert.deepEqual(cells, { total: 20, a: 3, b: 17 });
  assert.throws(() => suppressTable([-1, 5]), /whole number/);
  assert.throws(() => suppressTable([1.5, 5]), /whole number/);
  assert.throws(() => suppressCounts({ total: 1 }, [{ total: 'total', members: ['missing'] }]), /no count/);
});
