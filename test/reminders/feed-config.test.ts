import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

const base = { SIGNPOST_DEMO: 'false', SESSION_SECRET: 'test-secret-that-is-long-enough-for-cookies-1234' };

test('ORUK_FEED_URLS takes comma-separated web addresses, none by default, and refuses anything else', () => {
  assert.deepEqual(loadConfig(base).orukFeedUrls, []);
  assert.deepEqual(loadConfig({ ...base, ORUK_FEED_URLS: 'https://feeds.example/api/oruk, http://other.example/oruk ,' }).orukFeedUrls,
    ['https://feeds.example/api/oruk', 'http://other.example/oruk']);
  assert.throws(() => loadConfig({ ...base, ORUK_FEED_URLS: 'https://ok.example, ftp://files.example/oruk' }),
    (error: unknown) => error instanceof ConfigError && error.variable === 'ORUK_FEED_URLS' && /must start with http/.test(error.message));
});
