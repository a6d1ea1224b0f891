import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { apiScopePolicy, publicAccess } from '../../identity/policy.ts';
import { BearerTokenRequired } from '../../web/access.ts';
import { DomainError, InvalidInput } from '../../web/errors.ts';
import type { ApiClientActor } from '../clients/service.ts';
import { tokenUrl } from '../clients/routes.ts';
import { capabilityStatement } from './capability.ts';
import { FhirInputError, operationOutcome, searchset, type Json } from './mapping.ts';
import * as reference from './reference-data.ts';
import * as fhir from './service.ts';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Documented shapes for the OpenAPI document: every body is a FHIR resource of this type. */
const resourceSchema = (type: string) =>
  Type.Object({ resourceType: Type.Literal(type) }, { additionalProperties: true, description: `A FHIR R4 ${type}` });
const Outcome = resourceSchema('OperationOutcome');
const errors = { 400: Outcome, 401: Outcome, 403: Outcome, 404: Outcome, 409: Outcome, 429: Outcome };
// FHIR R4 id: [A-Za-z0-9\-\.]{1,64}. Anything else names no resource, so it is a 404 like an unknown id.
const ResourceIdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9.-]{1,64}$', description: 'The logical id' }) });
const Paging = {
  _count: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: 'Results per page, 1 to 100 (default 20)' })),
  _offset: Type.Optional(Type.String({ pattern: '^[0-9]{1,7}$', description: 'Where the page starts (from next links)' })),
  _format: Type.Optional(Type.String({ description: 'json (the only format)' })),
};
const FhirBody = Type.Object({ resourceType: Type.String() }, { additionalProperties: true });
const TransactionBundle = Type.Object(
  {
    resourceType: Type.String(),
    entry: Type.Optional(
      Type.Array(
        Type.Object(
          { resource: Type.Optional(Type.Object({ resourceType: Type.Optional(Type.String()) }, { additionalProperties: true })) },
          { additionalProperties: true },
        ),
      ),
    ),
  },
  { additionalProperties: true, description: 'A FHIR R4 Bundle of type transaction' },
);
const JsonPatch = Type.Array(
  Type.Object({ op: Type.String(), path: Type.String(), value: Type.Optional(Type.Unknown()) }, { additionalProperties: true }),
  { description: 'A JSON Patch (RFC 6902): replace /status and /statusReason' },
);
// A search's query: its schema types the parameters it names, and checkParams refuses any other.
type Query = Record<string, string | undefined>;

/** The per-system limit on calls, keyed by the client id behind the bearer token. */
const perSystem = { max: 300, timeWindow: '1 minute', keyGenerator: (req: FastifyRequest) => req.apiClient?.clientId ?? req.ip };

// FHIR takes JSON (and JSON Patch for Task updates), never HTML forms.
const FHIR_BODIES = ['application/fhir+json', 'application/json', 'application/json-patch+json'];

function needs(scope: string) {
  return { policy: apiScopePolicy(scope), csrf: false, rateLimit: perSystem, accepts: FHIR_BODIES };
}

function client(req: FastifyRequest): ApiClientActor {
  // The route's policy has already refused calls without one.
  return req.apiClient!;
}

const ISSUE_CODES: Record<number, string> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  409: 'business-rule',
  413: 'too-costly',
  415: 'not-supported',
  422: 'processing',
  429: 'throttled',
};

/** Search parameters each search takes; anything else is refused so a typo never widens a search. */
function checkParams(query: Query, allowed: string[]): void {
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.includes(name) && !['_count', '_offset', '_format'].includes(name)) {
      throw new FhirInputError([
        { diagnostics: `Unknown search parameter "${name}". This search takes: ${[...allowed, '_count'].join(', ')}.` },
      ]);
    }
    if (Array.isArray(value)) throw new FhirInputError([{ diagnostics: `Give "${name}" once.` }]);
  }
  if (query._format !== undefined && !['json', 'application/json', 'application/fhir+json'].includes(query._format)) {
    throw new FhirInputError([{ diagnostics: '_format must be json: Signpost serves FHIR JSON only.' }]);
  }
}

function pageOf(query: Query): fhir.Page {
  const count = query._count === undefined ? fhir.DEFAULT_COUNT : Number(query._count);
  if (!Number.isInteger(count) || count < 1 || count > fhir.MAX_COUNT)
    throw new FhirInputError([{ diagnostics: `_count must be from 1 to ${fhir.MAX_COUNT}.` }]);
  const offset = query._offset === undefined ? 0 : Number(query._offset);
  return { count, offset: Number.isInteger(offset) && offset >= 0 ? offset : 0 };
}

/** `Type/<id>` or a bare id to the id; a reference to another type is an error. */
function referenceId(value: unknown, type: string, parameter: string): string | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const match = new RegExp(`^(?:.*/)?(?:${type}/)?([A-Za-z0-9.-]{1,64})$`).exec(text);
  if (!match || (text.includes('/') && !text.includes(`${type}/`)))
    throw new FhirInputError([{ diagnostics: `${parameter} must be ${type}/<id>.` }]);
  return match[1];
}

function lastUpdated(value: unknown): Date | undefined {
  if (value === undefined) return undefined;
  const match = /^(gt|ge)(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?)$/.exec(String(value));
  const at = match ? new Date(match[2]!) : undefined;
  if (!match || !at || Number.isNaN(at.getTime())) {
    throw new FhirInputError([{ diagnostics: '_lastUpdated must be gt or ge an instant, like gt2026-12-01T09:00:00Z.' }]);
  }
  return match[1] === 'ge' ? new Date(at.getTime() - 1) : at;
}

export const fhirRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;
  const base = `${app.config.baseUrl.replace(/\/$/, '')}/fhir`;
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(['application/fhir+json', 'application/json-patch+json'], { parseAs: 'string' }, parseJson);

  const send = (reply: FastifyReply, resource: Json, status = 200) => reply.code(status).type(FHIR_JSON).send(JSON.stringify(resource));

  const sendPage = (req: FastifyRequest, query: Query, reply: FastifyReply, found: fhir.Found, page: fhir.Page) => {
    const path = req.url.split('?')[0]!.replace(/^\/fhir/, '');
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (name !== '_offset' && value !== undefined) params.set(name, value);
    params.set('_count', String(page.count));
    const link = (offset: number) => `${base}${path}?${params.toString()}${offset ? `&_offset=${offset}` : ''}`;
    return send(
      reply,
      searchset(base, found.resources, {
        total: found.total,
        self: link(page.offset),
        next: page.offset + page.count < found.total ? link(page.offset + page.count) : undefined,
      }),
    );
  };

  // A call without a live token is refused before its body is read or checked.
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config?.policy?.kind === 'api-client' && !req.apiClient) {
      reply.header('www-authenticate', 'Bearer realm="signpost", error="invalid_token"');
      throw new BearerTokenRequired();
    }
  });

  app.setNotFoundHandler((req, reply) =>
    send(
      reply,
      operationOutcome([
        {
          code: 'not-supported',
          diagnostics: `Signpost does not serve ${req.method} ${req.url.split('?')[0]}. See ${base}/metadata for what it does.`,
        },
      ]),
      404,
    ),
  );

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof InvalidInput) err = fhir.asFhirInputError(err) as never;
    if (err instanceof FhirInputError) {
      return send(reply, operationOutcome(err.issues.map((i) => ({ code: 'invalid', ...i }))), 400);
    }
    if (err instanceof DomainError) {
      return send(reply, operationOutcome([{ code: ISSUE_CODES[err.status] ?? 'processing', diagnostics: err.message }]), err.status);
    }
    if (err.validation && err.validationContext === 'params') {
      const diagnostics = `There is no ${req.url.split('?')[0]!.replace(/^\/fhir\//, '')}: a FHIR id is 1 to 64 letters, digits, "-" or ".".`;
      return send(reply, operationOutcome([{ code: 'not-found', diagnostics }]), 404);
    }
    const status = err.statusCode ?? 500;
    if (status < 500) {
      const diagnostics = err.validation
        ? `The request is not valid: ${err.validation.map((v) => `${v.instancePath || 'body'} ${v.message ?? ''}`.trim()).join('; ')}.`
        : err.code?.startsWith('FST_ERR_CTP')
          ? 'The body could not be read: send FHIR JSON (application/fhir+json).'
          : status === 429
            ? 'Too many calls from this system. Wait a minute and try again.'
            : err.message;
      return send(reply, operationOutcome([{ code: ISSUE_CODES[status] ?? 'invalid', diagnostics }]), status);
    }
    req.log.error({ err }, 'unexpected error');
    return send(reply, operationOutcome([{ code: 'exception', diagnostics: `Something went wrong. Reference: ${req.id}` }]), 500);
  });

  app.get(
    '/metadata',
    {
      schema: {
        summary: 'What this FHIR server supports, and where to get a token',
        tags: ['FHIR'],
        response: { 200: resourceSchema('CapabilityStatement') },
      },
      config: { policy: publicAccess, csrf: false },
    },
    async (_req, reply) => send(reply, capabilityStatement(base, tokenUrl(app.config.baseUrl), { version: '0.1.0' })),
  );

  // Referrals in
  app.post(
    '/',
    {
      schema: {
        summary: 'A transaction Bundle of a Patient and a ServiceRequest: a new referral',
        tags: ['FHIR'],
        body: TransactionBundle,
        response: { 200: resourceSchema('Bundle'), ...errors },
      },
      config: needs('system/ServiceRequest.write'),
    },
    async (req, reply) => {
      const input = fhir.referralFromBundle(req.body);
      const created = await fhir.createReferral(pool, client(req), input, { requestId: req.id });
      // The transaction-response holds the two entries posted, then the Task that tracks the referral.
      const entry = (resource: Json) => ({
        fullUrl: `${base}/${String(resource.resourceType)}/${String(resource.id)}`,
        resource,
        response: { status: '201 Created', location: `${String(resource.resourceType)}/${String(resource.id)}/_history/1` },
      });
      const order = (req.body.entry ?? []).map((e) => e.resource?.resourceType);
      const posted = order.map((type) => (type === 'Patient' ? created.patient : created.serviceRequest));
      return send(reply, { resourceType: 'Bundle', type: 'transaction-response', entry: [...posted, created.task].map(entry) });
    },
  );

  app.post(
    '/ServiceRequest',
    {
      schema: {
        summary: 'A new referral: a ServiceRequest with its Patient contained',
        tags: ['FHIR'],
        body: FhirBody,
        response: { 201: resourceSchema('ServiceRequest'), ...errors },
      },
      config: needs('system/ServiceRequest.write'),
    },
    async (req, reply) => {
      const created = await fhir.createReferral(pool, client(req), fhir.referralFromServiceRequest(req.body), { requestId: req.id });
      const id = String(created.serviceRequest.id);
      reply.header('location', `${base}/ServiceRequest/${id}/_history/1`).header('link', `<${base}/Task/${id}>; rel="related"`);
      return send(reply, created.serviceRequest, 201);
    },
  );

  /** A search: the parameters it takes (any other is refused), paged, answered as a searchset Bundle. */
  function searchRoute(
    type: string,
    summary: string,
    parameters: Record<string, TSchema>,
    search: (req: FastifyRequest, query: Query, page: fhir.Page) => Promise<fhir.Found> | fhir.Found,
  ) {
    app.get(
      `/${type}`,
      {
        schema: {
          summary,
          tags: ['FHIR'],
          querystring: Type.Object({ ...Paging, ...parameters }, { additionalProperties: true }),
          response: { 200: resourceSchema('Bundle'), ...errors },
        },
        config: needs(`system/${type}.read`),
      },
      async (req, reply) => {
        const query = req.query as Query;
        checkParams(query, Object.keys(parameters));
        const page = pageOf(query);
        return sendPage(req, query, reply, await search(req, query, page), page);
      },
    );
  }

  /** A read of one resource by its id. */
  function readRoute(type: string, summary: string, read: (req: FastifyRequest, id: string) => Promise<Json> | Json) {
    app.get(
      `/${type}/:id`,
      {
        schema: { summary, tags: ['FHIR'], params: ResourceIdParams, response: { 200: resourceSchema(type), ...errors } },
        config: needs(`system/${type}.read`),
      },
      async (req, reply) => send(reply, await read(req, req.params.id)),
    );
  }

  const none: fhir.Found = { resources: [], total: 0 };

  // ServiceRequest and Task reads
  for (const type of ['ServiceRequest', 'Task'] as const) {
    searchRoute(
      type,
      `Search ${type}s of referrals this system sent`,
      {
        _id: Type.Optional(Type.String()),
        ...(type === 'Task'
          ? { 'based-on': Type.Optional(Type.String({ description: 'ServiceRequest/<id>' })) }
          : { identifier: Type.Optional(Type.String()) }),
        patient: Type.Optional(Type.String()),
        _lastUpdated: Type.Optional(Type.String({ description: 'gt<instant> or ge<instant>' })),
      },
      async (req, query, page) => {
        const reference = query.identifier === undefined ? undefined : (fhir.referenceFromToken(query.identifier) ?? 'none');
        if (reference === 'none') return none;
        const filter = {
          id: query._id,
          basedOn: referenceId(query['based-on'], 'ServiceRequest', 'based-on'),
          patient: referenceId(query.patient, 'Patient', 'patient'),
          lastUpdatedAfter: lastUpdated(query._lastUpdated),
          reference,
        };
        return fhir.searchReferrals(pool, client(req), type, filter, page, { requestId: req.id });
      },
    );
    readRoute(type, `Read a ${type}`, (req, id) => fhir.readReferral(pool, client(req), type, id, { requestId: req.id }));
  }

  // The referrer cancels
  app.put(
    '/Task/:id',
    {
      schema: {
        summary: 'Cancel a referral this system sent: the Task with status "cancelled" and statusReason.text',
        tags: ['FHIR'],
        params: ResourceIdParams,
        body: FhirBody,
        response: { 200: resourceSchema('Task'), ...errors },
      },
      config: needs('system/Task.write'),
    },
    async (req, reply) =>
      send(
        reply,
        await fhir.cancelTask(pool, client(req), req.params.id, fhir.taskChangeFromPut(req.params.id, req.body), { requestId: req.id }),
      ),
  );

  app.patch(
    '/Task/:id',
    {
      schema: {
        summary: 'Cancel a referral with a JSON Patch of /status and /statusReason',
        tags: ['FHIR'],
        params: ResourceIdParams,
        body: JsonPatch,
        response: { 200: resourceSchema('Task'), ...errors },
      },
      config: needs('system/Task.write'),
    },
    async (req, reply) =>
      send(reply, await fhir.cancelTask(pool, client(req), req.params.id, fhir.taskChangeFromPatch(req.body), { requestId: req.id })),
  );

  // Patients
  searchRoute(
    'Patient',
    'Search Patients this system referred, by NHS number',
    {
      _id: Type.Optional(Type.String()),
      identifier: Type.Optional(Type.String({ description: 'https://fhir.nhs.uk/Id/nhs-number|<NHS number>' })),
    },
    (req, query, page) => {
      const nhsNumber = query.identifier === undefined ? undefined : (fhir.nhsNumberFromToken(query.identifier) ?? null);
      return fhir.searchPatients(pool, client(req), { id: query._id, nhsNumber }, page, { requestId: req.id });
    },
  );
  readRoute('Patient', 'Read a Patient', (req, id) => fhir.readPatient(pool, client(req), id, { requestId: req.id }));

  // Discharge summaries
  searchRoute(
    'DocumentReference',
    'Search discharge summaries of referrals this system sent',
    { _id: Type.Optional(Type.String()), patient: Type.Optional(Type.String()), related: Type.Optional(Type.String()) },
    (req, query, page) => {
      const filter = {
        id: query._id,
        patient: referenceId(query.patient, 'Patient', 'patient'),
        related: referenceId(query.related, 'ServiceRequest', 'related'),
      };
      return fhir.searchDocuments(pool, client(req), filter, page, { requestId: req.id });
    },
  );
  readRoute('DocumentReference', 'Read a discharge summary (PDF attached)', (req, id) =>
    fhir.readDocument(pool, client(req), id, { requestId: req.id }),
  );

  // Outcome measures recorded on referrals this system sent
  searchRoute(
    'QuestionnaireResponse',
    'Search outcome measures recorded on referrals this system sent',
    {
      _id: Type.Optional(Type.String()),
      subject: Type.Optional(Type.String({ description: 'Patient/<id>' })),
      patient: Type.Optional(Type.String({ description: 'Patient/<id>' })),
      'based-on': Type.Optional(Type.String({ description: 'ServiceRequest/<id>' })),
    },
    (req, query, page) => {
      const subject = referenceId(query.subject, 'Patient', 'subject');
      const patient = referenceId(query.patient, 'Patient', 'patient');
      // Both name the same person; two different people match nothing.
      if (subject !== undefined && patient !== undefined && subject !== patient) return none;
      const filter = { id: query._id, patient: subject ?? patient, basedOn: referenceId(query['based-on'], 'ServiceRequest', 'based-on') };
      return fhir.searchOutcomeResponses(pool, client(req), filter, page, { requestId: req.id });
    },
  );
  readRoute('QuestionnaireResponse', 'Read an outcome measure recorded on a referral this system sent', (req, id) =>
    fhir.readOutcomeResponse(pool, client(req), id, { requestId: req.id }),
  );

  // Shared reference data: the directory and the outcome measures
  searchRoute(
    'HealthcareService',
    'Search directory services',
    { name: Type.Optional(Type.String({ maxLength: 200, description: 'Words in the name or description' })) },
    (_req, query, page) => reference.searchHealthcareServices(pool, { name: query.name }, page),
  );
  readRoute('HealthcareService', 'Read a directory service', (_req, id) => reference.readHealthcareService(pool, id));

  searchRoute(
    'Location',
    'Search the places directory services are delivered',
    {
      name: Type.Optional(Type.String({ maxLength: 200, description: 'Part of the name' })),
      'address-postalcode': Type.Optional(Type.String({ maxLength: 16, description: 'A postcode (LS6 3AB) or its outward code (LS6)' })),
    },
    (_req, query, page) => reference.searchLocationResources(pool, { name: query.name, postcode: query['address-postalcode'] }, page),
  );
  readRoute('Location', 'Read a place directory services are delivered', (_req, id) => reference.readLocation(pool, id));

  searchRoute('Questionnaire', 'The outcome measures Signpost records', {}, (_req, _query, page) => reference.searchQuestionnaires(page));
  readRoute('Questionnaire', 'Read an outcome measure (swemwbs, ons4, ucla3)', (_req, id) => reference.readQuestionnaire(id));
};
