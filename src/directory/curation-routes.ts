import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { withTenant } from '../db/transaction.ts';
import { hasRole } from '../identity/actor.ts';
import { rolePolicy } from '../identity/policy.ts';
import { InvalidInput } from '../web/errors.ts';
import * as curation from './curation.ts';
import { getServiceDetail } from './service.ts';

const curators = rolePolicy('directory curators', 'curator');
const editors = rolePolicy('directory curators and providers', 'curator', 'provider');
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const Field = Type.Optional(Type.String({ maxLength: 6000 }));
const EditBody = Type.Object({
  name: Field, description: Field, email: Field, url: Field, fees: Field, status: Field, capacity: Field, expectedWaitWeeks: Field, _csrf: Field,
});
const DecisionBody = Type.Object({ outcome: Field, reason: Field, _csrf: Field });

const errorList = (errors: Array<{ field: string; message: string }>) => ({
  errors: errors.map((e) => ({ text: e.message, href: `#${e.field}` })),
  fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.message }])),
});

/** Curators review change requests, verify services and follow up stale ones; providers edit their own services. */
export const curationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;
  const months = app.config.directoryFreshnessMonths;

  app.get('/curation', { config: { policy: editors } }, async (req, reply) => {
    const actor = req.actor!;
    const data = await withTenant(pool, actor.tenantId, async (tx) => ({
      isCurator: hasRole(actor, 'curator'),
      changeRequests: hasRole(actor, 'curator') ? await curation.listChangeRequests(tx, actor) : [],
      stale: hasRole(actor, 'curator') ? (await curation.freshnessQueue(tx, actor, months)).slice(0, 10) : [],
      own: await curation.servicesForProvider(tx, actor),
    }));
    return reply.view('directory/views/curation/index.njk', { ...data, months, saved: (req.query as { saved?: string }).saved });
  });

  app.get('/curation/freshness', { config: { policy: curators } }, async (req, reply) => {
    const actor = req.actor!;
    const stale = await withTenant(pool, actor.tenantId, (tx) => curation.freshnessQueue(tx, actor, months));
    return reply.view('directory/views/curation/freshness.njk', { stale, months });
  });

  app.get('/curation/services/:id/edit', { schema: { params: IdParams }, config: { policy: editors } }, async (req, reply) => {
    const actor = req.actor!;
    const { detail, revisions } = await withTenant(pool, actor.tenantId, async (tx) => {
      const found = await getServiceDetail(tx, req.params.id);
      await curation.assertMayEditService(tx, actor, req.params.id);
      return { detail: found, revisions: await curation.revisionsOf(tx, req.params.id) };
    });
    const s = detail.service;
    return reply.view('directory/views/curation/edit.njk', {
      detail, revisions, isCurator: hasRole(actor, 'curator'),
      values: { name: s.name, description: s.description ?? '', email: s.email ?? '', url: s.url ?? '', fees: s.fees ?? '', status: s.status, capacity: detail.capacity, expectedWaitWeeks: detail.expectedWaitWeeks ?? '' },
    });
  });

  app.post('/curation/services/:id/edit', { schema: { params: IdParams, body: EditBody }, config: { policy: editors } }, async (req, reply) => {
    const actor = req.actor!;
    const checked = curation.checkServiceEdit(req.body);
    if (!checked.ok) {
      const detail = await withTenant(pool, actor.tenantId, async (tx) => {
        await curation.assertMayEditService(tx, actor, req.params.id);
        return getServiceDetail(tx, req.params.id);
      });
      return reply.code(400).view('directory/views/curation/edit.njk', { detail, revisions: [], isCurator: hasRole(actor, 'curator'), values: req.body, ...errorList(checked.errors) });
    }
    const result = await withTenant(pool, actor.tenantId, (tx) => curation.editService(tx, actor, req.params.id, checked.value));
    return reply.redirect(`/curation?saved=${result.changed.length ? 'edit' : 'nochange'}`, 303);
  });

  app.post('/curation/services/:id/verify', { schema: { params: IdParams, body: Type.Object({ _csrf: Field }) }, config: { policy: curators } }, async (req, reply) => {
    const actor = req.actor!;
    await withTenant(pool, actor.tenantId, (tx) => curation.verifyService(tx, actor, req.params.id));
    return reply.redirect('/curation?saved=verified', 303);
  });

  app.get('/curation/change-requests/:id', { schema: { params: IdParams }, config: { policy: curators } }, async (req, reply) => {
    const actor = req.actor!;
    const request = await withTenant(pool, actor.tenantId, (tx) => curation.getChangeRequest(tx, actor, req.params.id));
    return reply.view('directory/views/curation/change-request.njk', { request, values: {} });
  });

  app.post('/curation/change-requests/:id', { schema: { params: IdParams, body: DecisionBody }, config: { policy: curators } }, async (req, reply) => {
    const actor = req.actor!;
    try {
      await withTenant(pool, actor.tenantId, (tx) => curation.decideChangeRequest(tx, actor, req.params.id, req.body));
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      const request = await withTenant(pool, actor.tenantId, (tx) => curation.getChangeRequest(tx, actor, req.params.id));
      return reply.code(400).view('directory/views/curation/change-request.njk', { request, values: req.body, ...errorList(error.errors) });
    }
    return reply.redirect(`/curation?saved=${req.body.outcome}`, 303);
  });
};
