import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import { decideChangeRequest, editService, freshnessQueue, verifyService, type ServiceEdit } from '../../src/directory/curation/service.ts';
import { getServiceSummary, searchDirectory, suggestChange } from '../../src/directory/service.ts';
import { Forbidden, InvalidInput } from '../../src/web/errors.ts';
import { asForm, formSession, testApp } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';
import { aDirectoryService } from '../support/directory-factories.ts';
import { aProviderOrganisation, aTenant, anActor } from '../support/factories.ts';
import { signInAs } from '../support/session.ts';

let database: Database;
let app: FastifyInstance;
before(async () => {
  database = await freshDatabase();
  app = await testApp(database);
});
after(async () => {
  await app.close();
  await database.close();
});

async function aProviderFor(organizationId: string) {
  const tenant = await aTenant(database);
  const provider = await aProviderOrganisation(database, tenant.id, { directoryOrganizationId: organizationId });
  return anActor(database, { tenantId: tenant.id, roles: ['provider'], providerOrganisationId: provider.id });
}

const editOf = (overrides: Partial<ServiceEdit> = {}): ServiceEdit => ({
  name: 'Edited name',
  description: 'Edited description',
  email: '',
  url: '',
  fees: '',
  status: 'active',
  capacity: 'taking_referrals',
  expectedWaitWeeks: null,
  ...overrides,
});

const auditActions = async (entityId: string) =>
  (await database.pool.query<{ action: string }>('SELECT action FROM audit_event WHERE entity_id = $1 ORDER BY seq', [entityId])).rows.map(
    (r) => r.action,
  );

test("a provider edits their own organisation's service: the diff is recorded and audited, and capacity shows in search", async () => {
  const service = await aDirectoryService(database, { name: 'Provider Walk', description: 'Old words' });
  const provider = await aProviderFor(service.organization_id!);
  const result = await withTenant(database.pool, provider.tenantId, (tx) =>
    editService(
      tx,
      provider,
      service.id,
      editOf({ name: 'Provider Walk', description: 'New words', capacity: 'waiting_list', expectedWaitWeeks: 5 }),
    ),
  );
  assert.deepEqual(result.changed.sort(), ['capacity', 'description', 'expectedWaitWeeks']);
  const { rows } = await database.pool.query('SELECT diff, changed_by_role FROM directory_service_revision WHERE service_id = $1', [
    service.id,
  ]);
  assert.deepEqual(rows[0].diff.description, { from: 'Old words', to: 'New words' });
  assert.equal(rows[0].changed_by_role, 'provider');
  assert.deepEqual(await auditActions(service.id), ['directory.service-edit']);
  const found = await searchDirectory(database.pool, { q: 'Provider Walk' });
  assert.equal(found.results[0]!.capacityLabel, 'Waiting list');
  assert.equal(found.results[0]!.expectedWaitWeeks, 5);
});

test("a provider cannot edit another organisation's service, and nothing changes", async () => {
  const mine = await aDirectoryService(database, { name: 'Mine' });
  const theirs = await aDirectoryService(database, { name: 'Theirs' });
  const provider = await aProviderFor(mine.organization_id!);
  await assert.rejects(
    withTenant(database.pool, provider.tenantId, (tx) => editService(tx, provider, theirs.id, editOf())),
    Forbidden,
  );
  assert.equal((await getServiceSummary(database.pool, theirs.id))!.name, 'Theirs');
});

test('a full or inactive service warns onward referrals, and an inactive one drops out of search', async () => {
  const service = await aDirectoryService(database, { name: 'Soon Closed Club' });
  const curator = await anActor(database, { roles: ['curator'] });
  await withTenant(database.pool, curator.tenantId, (tx) =>
    editService(tx, curator, service.id, editOf({ name: 'Soon Closed Club', status: 'inactive', capacity: 'full' })),
  );
  assert.equal((await getServiceSummary(database.pool, service.id))!.warnBeforeReferral, true);
  assert.equal((await searchDirectory(database.pool, { q: 'Soon Closed Club' })).total, 0);
});

test('curators verify services, and the freshness queue lists those not checked within 6 months', async () => {
  const stale = await aDirectoryService(database, { name: 'Stale Choir', lastVerifiedAt: new Date('2025-01-01') });
  const fresh = await aDirectoryService(database, { name: 'Fresh Choir' });
  const curator = await anActor(database, { roles: ['curator'] });
  const queue = await withTenant(database.pool, curator.tenantId, (tx) => freshnessQueue(tx, curator));
  assert.ok(queue.some((s) => s.id === stale.id));
  assert.ok(!queue.some((s) => s.id === fresh.id));
  await withTenant(database.pool, curator.tenantId, (tx) => verifyService(tx, curator, stale.id));
  const after = await withTenant(database.pool, curator.tenantId, (tx) => freshnessQueue(tx, curator));
  assert.ok(!after.some((s) => s.id === stale.id));
  assert.deepEqual(await auditActions(stale.id), ['directory.service-verify']);
  const provider = await aProviderFor(fresh.organization_id!);
  await assert.rejects(
    withTenant(database.pool, provider.tenantId, (tx) => verifyService(tx, provider, fresh.id)),
    Forbidden,
  );
});

test('curators accept or reject change requests; a rejection needs a reason', async () => {
  const service = await aDirectoryService(database, { name: 'Change Me' });
  const curator = await anActor(database, { roles: ['curator'] });
  const first = await suggestChange(database.pool, service.id, { kind: 'suggestion', details: 'New time' });
  const second = await suggestChange(database.pool, service.id, { kind: 'problem', details: 'Closed' });
  await assert.rejects(
    withTenant(database.pool, curator.tenantId, (tx) => decideChangeRequest(tx, curator, second.id, { outcome: 'rejected' })),
    InvalidInput,
  );
  await withTenant(database.pool, curator.tenantId, (tx) => decideChangeRequest(tx, curator, first.id, { outcome: 'accepted' }));
  await withTenant(database.pool, curator.tenantId, (tx) =>
    decideChangeRequest(tx, curator, second.id, { outcome: 'rejected', reason: 'It is open; we rang them.' }),
  );
  const { rows } = await database.pool.query(
    'SELECT status, decision_reason FROM directory_change_request WHERE service_id = $1 ORDER BY created_at, id',
    [service.id],
  );
  assert.deepEqual(rows.map((r) => r.status).sort(), ['accepted', 'rejected']);
  assert.deepEqual(await auditActions(first.id), ['directory.change-request-accept']);
  assert.deepEqual(await auditActions(second.id), ['directory.change-request-reject']);
});

test('curation pages: providers see and save their own services, curators review requests, others are refused', async () => {
  const service = await aDirectoryService(database, { name: 'Page Edit Group' });
  const provider = await aProviderFor(service.organization_id!);
  const cookies = await signInAs(app, database, provider);
  const home = await app.inject({ url: '/curation', cookies });
  assert.equal(home.statusCode, 200);
  assert.match(home.body, new RegExp(`/curation/services/${service.id}/edit`));

  const url = `/curation/services/${service.id}/edit`;
  const session = await formSession(app, url, cookies);
  const bad = await app.inject({
    method: 'POST',
    url,
    cookies: session.cookies,
    ...asForm({ _csrf: session.token!, name: '', status: 'active', capacity: 'waiting_list', expectedWaitWeeks: 'soon' }),
  });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /href="#name"/);
  assert.match(bad.body, /href="#expectedWaitWeeks"/);
  const good = await app.inject({
    method: 'POST',
    url,
    cookies: session.cookies,
    ...asForm({ _csrf: session.token!, name: 'Page Edit Group', description: 'Now on Fridays', status: 'active', capacity: 'full' }),
  });
  assert.equal(good.statusCode, 303);
  assert.equal((await getServiceSummary(database.pool, service.id))!.capacity, 'full');

  const other = await aDirectoryService(database, { name: 'Not Yours' });
  assert.equal((await app.inject({ url: `/curation/services/${other.id}/edit`, cookies })).statusCode, 403);
  assert.equal((await app.inject({ url: '/curation/freshness', cookies })).statusCode, 403);
  const worker = await anActor(database, { roles: ['link_worker'] });
  assert.equal((await app.inject({ url: '/curation', cookies: await signInAs(app, database, worker) })).statusCode, 403);

  const curator = await anActor(database, { roles: ['curator'] });
  const curatorCookies = await signInAs(app, database, curator);
  const request = await suggestChange(database.pool, service.id, { kind: 'suggestion', details: 'Please update the phone number' });
  const dashboard = await app.inject({ url: '/curation', cookies: curatorCookies });
  assert.match(dashboard.body, new RegExp(`/curation/change-requests/${request.id}`));
  const reqUrl = `/curation/change-requests/${request.id}`;
  // An address whose id is not an id names no change request.
  const malformed = await app.inject({ url: '/curation/change-requests/not-an-id', cookies: curatorCookies });
  assert.equal(malformed.statusCode, 404);
  assert.match(malformed.body, /Page not found/);
  const form = await formSession(app, reqUrl, curatorCookies);
  const noReason = await app.inject({
    method: 'POST',
    url: reqUrl,
    cookies: form.cookies,
    ...asForm({ _csrf: form.token!, outcome: 'rejected' }),
  });
  assert.equal(noReason.statusCode, 400);
  const accepted = await app.inject({
    method: 'POST',
    url: reqUrl,
    cookies: form.cookies,
    ...asForm({ _csrf: form.token!, outcome: 'accepted' }),
  });
  assert.equal(accepted.statusCode, 303);
  const verify = await app.inject({
    method: 'POST',
    url: `/curation/services/${service.id}/verify`,
    cookies: form.cookies,
    ...asForm({ _csrf: form.token! }),
  });
  assert.equal(verify.statusCode, 303);
  assert.equal((await app.inject({ url: '/curation/freshness', cookies: curatorCookies })).statusCode, 200);
});
