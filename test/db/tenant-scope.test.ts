import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { tenantSetting, UnsafeSettingValue, withTenant } from '../../src/db/transaction.ts';
import { freshDatabase } from '../support/database.ts';
import { aTenant } from '../support/factories.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

test('the tenant is set with SET LOCAL, and anything but a UUID is refused before SQL is sent', () => {
  assert.equal(tenantSetting('0b6f8a52-3c1d-4e8f-9a7b-2c4d6e8f0a1b'), `SET LOCAL app.tenant_id = '0b6f8a52-3c1d-4e8f-9a7b-2c4d6e8f0a1b'`);
  assert.equal(tenantSetting(null), `SET LOCAL app.tenant_id = ''`);
  for (const bad of [`x'; RESET ROLE; --`, "0b6f8a52-3c1d-4e8f-9a7b-2c4d6e8f0a1b'", '', ' 0b6f8a52-3c1d-4e8f-9a7b-2c4d6e8f0a1b']) {
    assert.throws(() => tenantSetting(bad), UnsafeSettingValue, bad);
  }
});

test('inside withTenant the setting is visible, confined to the transaction, and the role is the app role', async () => {
  const tenant = await aTenant(database);
  const seen = await withTenant(
    database.pool,
    tenant.id,
    async (tx) =>
      (await tx.query<{ tenant: string; role: string }>(`SELECT current_tenant_id()::text AS tenant, current_user AS role`)).rows[0],
  );
  assert.deepEqual(seen, { tenant: tenant.id, role: 'signpost_app' });
  const afterwards = await database.pool.query<{ tenant: string | null }>('SELECT current_tenant_id()::text AS tenant');
  assert.equal(afterwards.rows[0]!.tenant, null);
  await assert.rejects(
    withTenant(database.pool, 'not-a-tenant', async () => 1),
    UnsafeSettingValue,
  );
});
