// Touches no database: runs once, in the PGlite pass (scripts/test.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

const base = { SIGNPOST_DEMO: 'false', SESSION_SECRET: 'test-secret-that-is-long-enough-for-cookies-1234' };

test('ORUK_FEED_URLS takes comma-separated web addresses, each with its own optional schedule, none by default, and refuses anything else', () => {
  assert.deepEqual(loadConfig(base).orukFeeds, []);
  assert.deepEqual(loadConfig({ ...base, ORUK_FEED_URLS: 'https://feeds.example/api/oruk, http://other.example/oruk ,' }).orukFeeds, [
    { url: 'https://feeds.example/api/oruk', cron: '30 2 * * *' },
    { url: 'http://other.example/oruk', cron: '30 2 * * *' },
  ]);
  // A cron may list days with commas: feeds split only where a new address starts.
  assert.deepEqual(
    loadConfig({ ...base, ORUK_FEED_URLS: 'https://a.example/oruk|0 6 * * 1,4, https://b.example/oruk | 15 1 * * *' }).orukFeeds,
    [
      { url: 'https://a.example/oruk', cron: '0 6 * * 1,4' },
      { url: 'https://b.example/oruk', cron: '15 1 * * *' },
    ],
  );
  assert.throws(
    () => loadConfig({ ...base, ORUK_FEED_URLS: 'https://ok.example, ftp://files.example/oruk' }),
    (error: unknown) => error instanceof ConfigError && error.variable === 'ORUK_FEED_URLS' && /must start with http/.test(error.message),
  );
  for (const cron of ['every night', '0 6 * *', '61 2 * * *']) {
    assert.throws(
      () => loadConfig({ ...base, ORUK_FEED_URLS: `https://a.example/oruk|${cron}` }),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === 'ORUK_FEED_URLS' && /is not a five-field cron/.test(error.message),
      cron,
    );
  }
});
