// Touches no database: runs once, in the PGlite pass (scripts/test.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDatabaseUnreachable } from '../../src/web/errors.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test("connection failures are recognised by their codes and the driver's own messages", () => {
  for (const err of [
    withCode('ECONNREFUSED'),
    withCode('ECONNRESET'),
    withCode('ETIMEDOUT'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('57P03'),
    withCode('08006'),
    withCode('08001'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new Error('Connection terminated due to connection timeout', { cause: withCode('ECONNREFUSED') }),
    new Error('wrapped', { cause: withCode('08003') }),
  ])
    assert.equal(isDatabaseUnreachable(err), true, `${(err as { code?: string }).code ?? err.message}`);
});

test('other database errors and ordinary bugs are not taken for an outage', () => {
  for (const err of [
    withCode('23505', 'duplicate key value'),
    withCode('42P01', 'relation does not exist'),
    withCode('57014', 'canceling statement'),
    withCode('FST_ERR_VALIDATION'),
    withCode('ERR_X', 'Connection terminated by a bug of ours'),
    new TypeError('Cannot read properties of undefined'),
    'Connection terminated',
    undefined,
  ])
    assert.equal(isDatabaseUnreachable(err), false, String(err));
});
