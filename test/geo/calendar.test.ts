// Touches no database: runs once, in the PGlite pass (scripts/test.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addWorkingDays, bankHolidays, isWorkingDay } from '../../src/calendar/london.ts';

test('bank holidays of England and Wales, substitute days included', () => {
  const y2026 = bankHolidays(2026);
  for (const date of ['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-04', '2026-05-25', '2026-08-31', '2026-12-25', '2026-12-28']) {
    assert.ok(y2026.has(date), date);
  }
  assert.ok(
    bankHolidays(2027).has('2027-12-27') && bankHolidays(2027).has('2027-12-28'),
    'Christmas and Boxing Day on a weekend move to Monday and Tuesday',
  );
  assert.ok(!y2026.has('2026-03-15'), 'Mothering Sunday is an observance, not a bank holiday');
});

test('working days skip weekends and bank holidays, judged by the date in London', () => {
  assert.equal(isWorkingDay(new Date('2026-11-24T12:00:00Z')), true, 'a Tuesday');
  assert.equal(isWorkingDay(new Date('2026-11-28T12:00:00Z')), false, 'a Saturday');
  assert.equal(isWorkingDay(new Date('2026-08-31T12:00:00Z')), false, 'the summer bank holiday');
  // 23:30 UTC on Sunday 5 July 2026 is 00:30 on Monday in London (BST).
  assert.equal(isWorkingDay(new Date('2026-07-05T23:30:00Z')), true);

  // From Thursday 24 December 2026: Friday is Christmas, then the weekend, then Monday's substitute Boxing Day.
  assert.equal(addWorkingDays(new Date('2026-12-24T10:00:00Z'), 1).toISOString(), '2026-12-29T10:00:00.000Z');
  // Ten working days from Monday 30 March 2026 cross Good Friday and Easter Monday: Wednesday 15 April
  // (without them it would be Monday 13 April).
  assert.equal(addWorkingDays(new Date('2026-03-30T09:00:00Z'), 10).toISOString().slice(0, 10), '2026-04-15');
  assert.equal(addWorkingDays(new Date('2026-11-24T09:00:00Z'), 10).toISOString().slice(0, 10), '2026-12-08', 'two plain weeks');
});
