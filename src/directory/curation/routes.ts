import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { withTenant } from '../../db/transaction.ts';
import { hasRole } from '../../identity/actor.ts';
import { rolePolicy } from '../../identity/policy.ts';
import { InvalidInput } from '../../web/errors.ts';
import { bodyValues } from '../../web/forms.ts';
import { FormBody, IdParams as ChangeRequestParams, Text, TextQuery } from '../../web/schemas.ts';
import * as curation from './service.ts';
import {
  DAYS,
  SECTIONS,
  WEEKS_OF_MONTH,
  describeLocations,
  describeService,
  locationFormValues,
  locationsOf,
  type EditableService,
} from './sections.ts';
import { getServiceDetail, DELIVERY_METHODS, NEEDS } from '../service.ts';

const curators = rolePolicy('directory curators', 'curator');
const editors = rolePolicy('directory curators and providers', 'curator', 'provider');
// Directory ids are the publishers' own strings (imported feeds), not UUIDs.
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const Saved = TextQuery('saved');
// Part, place and new-service forms carry rows of fields (sessions, phones, places) that each
// section's check reads through web/forms.ts and answers with its own messages.
const PartForm = FormBody({});
const Field = Text(6000);
const EditBody = Type.Object({
  name: Field,
  description: Field,
  email: Field,
  url: Field,
  fees: Field,
  status: Field,
  capacity: Field,
  expectedWaitWeeks: Field,
  _csrf: Field,
});
const LocationParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100 }),
  locationId: Type.String({ minLength: 1, maxLength: 100 }),
});
const DecisionBody = Type.Object({ outcome: Field, reason: Field, _csrf: Field });
const ChangeRequestId = ChangeRequestParams('id');

/** Every part of the service in words, each with the page that changes it. */
function hubOf(service: EditableService) {
  const described = describeService(service);
  return {
    parts: SECTIONS.map((section) => ({
      path: section.path,
      title: section.title,
      rows: Object.keys(section.describe(service)).map((key) => ({ key, value: described[key] })),
    })),
    places: locationsOf(service).map((l) => ({
      id: l.id,
      name: l.name ?? 'A place',
      words: describeLocations(service)[`Place: ${l.name ?? l.id}`],
    })),
  };
}

const errorList = (errors: Array<{ field: string; message: string }>) => ({
  errors: errors.map((e) => ({ text: e.message, href: `#${e.field}` })),
  fieldErrors: Object.fromEntries(errors.map((e) => [e.field, { text: e.message }])),
});

/** Rows a repeating form shows: what was posted (so nothing typed is lost), or the stored rows and spare ones. */
function postedRows(body: unknown, probe: string): number {
  let n = 0;
  while (body && typeof body === 'object' && Object.hasOwn(body, `${probe}-${n}`)) n++;
  return n;
}

function partPage(service: EditableService, part: { path: string; title: string }, values: Record<string, unknown>, isCurator: boolean) {
  return {
    service,
    part,
    values,
    isCurator,
    days: DAYS,
    weeks: WEEKS_OF_MONTH,
    needs: NEEDS,
    deliveryMethods: DELIVERY_METHODS,
    action: `/curation/services/${service.id}/${part.path}`,
  };
}

function afterPart(serviceId: string, outcome: curation.PartOutcome): string {
  if (outcome.outcome === 'proposed') return '/curation?saved=proposed';
  return `/curation/services/${serviceId}/edit?saved=${outcome.outcome === 'saved' ? 'edit' : 'nochange'}`;
}

/** Curators review change requests, verify services and follow up stale ones; providers edit their own services. */
export const curationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;
  const months = app.config.directoryFreshnessMonths;

  app.get('/curation', { schema: { querystring: Saved }, config: { policy: editors } }, async (req, reply) => {
    const actor = req.actor!;
    const data = await withTenant(pool, actor.tenantId, async (tx) => ({
      isCurator: hasRole(actor, 'curator'),
      changeRequests: hasRole(actor, 'curator') ? await curation.listChangeRequests(tx, actor) : [],
      stale: hasRole(actor, 'curator') ? (await curation.freshnessQueue(tx, actor, months)).slice(0, 10) : [],
      own: await curation.servicesForProvider(tx, actor),
      proposals: await curation.proposalsOfProvider(tx, actor),
    }));
    return reply.view('directory/views/curation/index.njk', { ...data, months, saved: req.query.saved });
  });

  app.get('/curation/freshness', { config: { policy: curators } }, async (req, reply) => {
    const actor = req.actor!;
    const stale = await withTenant(pool, actor.tenantId, (tx) => curation.freshnessQueue(tx, actor, months));
    return reply.view('directory/views/curation/freshness.njk', { stale, months });
  });

  app.get(
    '/curation/services/:id/edit',
    { schema: { params: IdParams, querystring: Saved }, config: { policy: editors } },
    async (req, reply) => {
      const actor = req.actor!;
      const { detail, revisions, editable } = await withTenant(pool, actor.tenantId, async (tx) => {
        const found = await getServiceDetail(tx, req.params.id);
        await curation.assertMayEditService(tx, actor, req.params.id);
        return {
          detail: found,
          revisions: await curation.revisionsOf(tx, req.params.id),
          editable: await curation.editableServiceFor(tx, actor, req.params.id),
        };
      });
      const s = detail.service;
      return reply.view('directory/views/curation/edit.njk', {
        detail,
        revisions,
        isCurator: hasRole(actor, 'curator'),
        ...hubOf(editable),
        saved: req.query.saved,
        values: {
          name: s.name,
          description: s.description ?? '',
          email: s.email ?? '',
          url: s.url ?? '',
          fees: s.fees ?? '',
          status: s.status,
          capacity: detail.capacity,
          expectedWaitWeeks: detail.expectedWaitWeeks ?? '',
        },
      });
    },
  );

  app.post(
    '/curation/services/:id/edit',
    { schema: { params: IdParams, body: EditBody }, config: { policy: editors } },
    async (req, reply) => {
      const actor = req.actor!;
      const checked = curation.checkServiceEdit(req.body);
      if (!checked.ok) {
        const detail = await withTenant(pool, actor.tenantId, async (tx) => {
          await curation.assertMayEditService(tx, actor, req.params.id);
          return getServiceDetail(tx, req.params.id);
        });
        const editable = await withTenant(pool, actor.tenantId, (tx) => curation.editableServiceFor(tx, actor, req.params.id));
        return reply.code(400).view('directory/views/curation/edit.njk', {
          detail,
          revisions: [],
          isCurator: hasRole(actor, 'curator'),
          values: req.body,
          ...hubOf(editable),
          ...errorList(checked.errors),
        });
      }
      const result = await withTenant(pool, actor.tenantId, (tx) => curation.editService(tx, actor, req.params.id, checked.value));
      return reply.redirect(`/curation?saved=${result.changed.length ? 'edit' : 'nochange'}`, 303);
    },
  );

  app.post(
    '/curation/services/:id/verify',
    { schema: { params: IdParams, body: Type.Object({ _csrf: Field }) }, config: { policy: curators } },
    async (req, reply) => {
      const actor = req.actor!;
      await withTenant(pool, actor.tenantId, (tx) => curation.verifyService(tx, actor, req.params.id));
      return reply.redirect('/curation?saved=verified', 303);
    },
  );

  app.get('/curation/services/new', { config: { policy: editors } }, async (req, reply) => {
    return reply.view('directory/views/curation/new-service.njk', { values: {}, isCurator: hasRole(req.actor!, 'curator') });
  });

  app.post('/curation/services/new', { schema: { body: PartForm }, config: { policy: editors, oncePerForm: true } }, async (req, reply) => {
    const actor = req.actor!;
    try {
      const result = await withTenant(pool, actor.tenantId, (tx) => curation.addService(tx, actor, req.body));
      return reply.redirect(
        result.outcome === 'created' ? `/curation/services/${result.serviceId}/edit?saved=created` : '/curation?saved=proposed-service',
        303,
      );
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      return reply.code(400).view('directory/views/curation/new-service.njk', {
        values: bodyValues(req.body),
        isCurator: hasRole(actor, 'curator'),
        ...errorList(error.errors),
      });
    }
  });

  for (const section of SECTIONS) {
    app.get(`/curation/services/:id/${section.path}`, { schema: { params: IdParams }, config: { policy: editors } }, async (req, reply) => {
      const actor = req.actor!;
      const service = await withTenant(pool, actor.tenantId, (tx) => curation.editableServiceFor(tx, actor, req.params.id));
      return reply.view(
        'directory/views/curation/part.njk',
        partPage(service, section, section.formValues(service), hasRole(actor, 'curator')),
      );
    });
    app.post(
      `/curation/services/:id/${section.path}`,
      { schema: { params: IdParams, body: PartForm }, config: { policy: editors, oncePerForm: true } },
      async (req, reply) => {
        const actor = req.actor!;
        try {
          const outcome = await withTenant(pool, actor.tenantId, (tx) =>
            curation.changePart(tx, actor, req.params.id, section.path, req.body),
          );
          return reply.redirect(afterPart(req.params.id, outcome), 303);
        } catch (error) {
          if (!(error instanceof InvalidInput)) throw error;
          const service = await withTenant(pool, actor.tenantId, (tx) => curation.editableServiceFor(tx, actor, req.params.id));
          const values = {
            ...bodyValues(req.body),
            rows:
              postedRows(req.body, 'day') ||
              postedRows(req.body, 'number') ||
              postedRows(req.body, 'language') ||
              postedRows(req.body, 'area'),
            closureRows: postedRows(req.body, 'closedFrom'),
            otherTerms: section.formValues(service).otherTerms,
          };
          return reply.code(400).view('directory/views/curation/part.njk', {
            ...partPage(service, section, values, hasRole(actor, 'curator')),
            ...errorList(error.errors),
          });
        }
      },
    );
  }

  const placePart = (locationId: string | null) => ({
    path: locationId ? `locations/${locationId}` : 'locations/new',
    title: locationId ? 'Change a place' : 'Add a place',
  });

  app.get('/curation/services/:id/locations/new', { schema: { params: IdParams }, config: { policy: editors } }, async (req, reply) => {
    const actor = req.actor!;
    const service = await withTenant(pool, actor.tenantId, (tx) => curation.editableServiceFor(tx, actor, req.params.id));
    return reply.view('directory/views/curation/location.njk', {
      ...partPage(service, placePart(null), locationFormValues(undefined), hasRole(actor, 'curator')),
      isNew: true,
    });
  });

  app.get(
    '/curation/services/:id/locations/:locationId',
    { schema: { params: LocationParams }, config: { policy: editors } },
    async (req, reply) => {
      const actor = req.actor!;
      const service = await withTenant(pool, actor.tenantId, (tx) => curation.editableServiceFor(tx, actor, req.params.id));
      const location = locationsOf(service).find((l) => l.id === req.params.locationId);
      if (!location) return reply.callNotFound();
      return reply.view('directory/views/curation/location.njk', {
        ...partPage(service, placePart(location.id), locationFormValues(location), hasRole(actor, 'curator')),
        isNew: false,
      });
    },
  );

  const savePlace =
    (isNew: boolean) => async (req: FastifyRequest<{ Params: { id: string; locationId?: string } }>, reply: FastifyReply) => {
      const actor = req.actor!;
      const locationId = isNew ? null : req.params.locationId!;
      try {
        const outcome = await withTenant(pool, actor.tenantId, (tx) =>
          curation.changePart(tx, actor, req.params.id, 'location', req.body, locationId),
        );
        return reply.redirect(afterPart(req.params.id, outcome), 303);
      } catch (error) {
        if (!(error instanceof InvalidInput)) throw error;
        const service = await withTenant(pool, actor.tenantId, (tx) => curation.editableServiceFor(tx, actor, req.params.id));
        return reply.code(400).view('directory/views/curation/location.njk', {
          ...partPage(service, placePart(locationId), bodyValues(req.body), hasRole(actor, 'curator')),
          isNew,
          ...errorList(error.errors),
        });
      }
    };
  app.post(
    '/curation/services/:id/locations/new',
    { schema: { params: IdParams, body: PartForm }, config: { policy: editors, oncePerForm: true } },
    savePlace(true),
  );
  app.post(
    '/curation/services/:id/locations/:locationId',
    { schema: { params: LocationParams, body: PartForm }, config: { policy: editors, oncePerForm: true } },
    savePlace(false),
  );

  app.get('/curation/change-requests/:id', { schema: { params: ChangeRequestId }, config: { policy: curators } }, async (req, reply) => {
    const actor = req.actor!;
    const request = await withTenant(pool, actor.tenantId, (tx) => curation.getChangeRequest(tx, actor, req.params.id));
    return reply.view('directory/views/curation/change-request.njk', { request, values: {} });
  });

  app.post(
    '/curation/change-requests/:id',
    { schema: { params: ChangeRequestId, body: DecisionBody }, config: { policy: curators } },
    async (req, reply) => {
      const actor = req.actor!;
      try {
        await withTenant(pool, actor.tenantId, (tx) => curation.decideChangeRequest(tx, actor, req.params.id, req.body));
      } catch (error) {
        if (!(error instanceof InvalidInput)) throw error;
        const request = await withTenant(pool, actor.tenantId, (tx) => curation.getChangeRequest(tx, actor, req.params.id));
        return reply
          .code(400)
          .view('directory/views/curation/change-request.njk', { request, values: req.body, ...errorList(error.errors) });
      }
      return reply.redirect(`/curation?saved=${req.body.outcome}`, 303);
    },
  );
};
