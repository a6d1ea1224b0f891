import type { Db } from '../../db/database.ts';
import type { Actor } from '../../identity/actor.ts';
import { hasRole } from '../../identity/actor.ts';
import { recordAudit } from '../../identity/audit.ts';
import { Forbidden, InvalidInput, NotFound, RuleBroken, type FieldError } from '../../web/errors.ts';
import { randomUUID } from 'node:crypto';
import { field } from '../../web/forms.ts';
import type { OrukService } from '../oruk/types.ts';
import { withExtra } from '../oruk/hsds-extra.ts';
import * as q from '../queries.ts';
import * as curationq from './queries.ts';
import {
  applyLocation,
  checkLocation,
  describeService,
  differenceOf,
  locationsOf,
  sectionAt,
  type EditableService,
  type LocationValue,
} from './sections.ts';
import { CAPACITY_TAXONOMY_ID, capacityForTerm, capacityTermId, stableId, type Capacity } from '../taxonomy.ts';
import { DEFAULT_FRESHNESS_MONTHS } from '../service.ts';
import { providerDirectoryOrganization } from '../../identity/provider-organisations.ts';

export interface WriteOptions {
  sourceFeed?: string;
  capacity?: Capacity;
  expectedWaitWeeks?: number | null;
  lastVerifiedAt?: Date | null;
}

/**
 * Writes a full service. Capacity travels in ORUK feeds as an attribute in Signpost's capacity
 * taxonomy (its value the expected wait in weeks); here it becomes the service's capacity columns,
 * and the export adds the attribute back, so capacity round-trips without being stored twice.
 */
export async function writeDirectoryService(
  db: Db,
  service: OrukService,
  options: WriteOptions & { refreshSearch?: boolean } = {},
): Promise<void> {
  const capacityAttribute = (service.attributes ?? []).find((a) => capacityForTerm(a.taxonomy_term?.id ?? a.taxonomy_term_id ?? ''));
  const fromFeed = capacityAttribute
    ? capacityForTerm(capacityAttribute.taxonomy_term?.id ?? capacityAttribute.taxonomy_term_id ?? '')
    : undefined;
  const capacity = options.capacity ?? fromFeed;
  const wait =
    options.expectedWaitWeeks !== undefined
      ? options.expectedWaitWeeks
      : capacityAttribute?.value && /^\d+$/.test(capacityAttribute.value)
        ? Number(capacityAttribute.value)
        : null;
  const attributes = (service.attributes ?? []).filter((a) => a !== capacityAttribute);
  await q.writeService(
    db,
    { ...service, attributes },
    {
      sourceFeed: options.sourceFeed,
      capacity,
      expectedWaitWeeks: capacity === 'waiting_list' ? wait : null,
      refreshSearch: options.refreshSearch,
    },
  );
  if (options.lastVerifiedAt !== undefined) await curationq.setLastVerified(db, service.id, options.lastVerifiedAt);
}

/**
 * The full ORUK service as exported and served: stored records, the capacity attribute, and what an
 * imported record said that no column holds (left out with `extra: false`, to compare with a feed).
 */
export async function readDirectoryService(db: Db, id: string, options: { extra?: boolean } = {}): Promise<OrukService | undefined> {
  const stored = await q.readService(db, id);
  const service = stored && options.extra !== false ? withExtra(stored, await q.readServiceExtra(db, id)) : stored;
  const curation = await curationq.findServiceCuration(db, id);
  if (!service || !curation) return undefined;
  const term = await q.readTaxonomyTerm(db, capacityTermId(curation.capacity));
  return {
    ...service,
    attributes: [
      ...(service.attributes ?? []),
      {
        id: stableId(`capacity:${id}`),
        link_id: id,
        link_type: 'capacity',
        link_entity: 'service',
        taxonomy_term_id: capacityTermId(curation.capacity),
        ...(curation.expectedWaitWeeks !== null ? { value: String(curation.expectedWaitWeeks) } : {}),
        ...(term ? { taxonomy_term: { ...term, taxonomy_id: CAPACITY_TAXONOMY_ID } } : {}),
      },
    ],
  };
}

/** The fields a provider or curator may edit on the curation form. */
export interface ServiceEdit {
  name: string;
  description: string;
  email: string;
  url: string;
  fees: string;
  status: 'active' | 'inactive' | 'temporarily closed' | 'defunct';
  capacity: Capacity;
  expectedWaitWeeks: number | null;
}

export function checkServiceEdit(
  body: Record<string, string | undefined>,
): { ok: true; value: ServiceEdit } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const name = (body.name ?? '').trim();
  if (!name) errors.push({ field: 'name', message: 'Enter the name of the service' });
  else if (name.length > 300) errors.push({ field: 'name', message: 'Name must be 300 characters or fewer' });
  const description = (body.description ?? '').trim();
  if (description.length > 5000) errors.push({ field: 'description', message: 'Description must be 5000 characters or fewer' });
  const email = (body.email ?? '').trim();
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    errors.push({ field: 'email', message: 'Enter an email address in the correct format, like name@example.com' });
  const url = (body.url ?? '').trim();
  if (url && !/^https?:\/\/[^\s]+$/.test(url)) errors.push({ field: 'url', message: 'Enter a web address starting with https://' });
  const fees = (body.fees ?? '').trim();
  const status = body.status as ServiceEdit['status'];
  if (!['active', 'inactive', 'temporarily closed', 'defunct'].includes(status))
    errors.push({ field: 'status', message: 'Select whether the service is running' });
  const capacity = body.capacity as Capacity;
  if (!['taking_referrals', 'waiting_list', 'full'].includes(capacity))
    errors.push({ field: 'capacity', message: 'Select whether the service is taking referrals' });
  let expectedWaitWeeks: number | null = null;
  if (capacity === 'waiting_list') {
    const raw = (body.expectedWaitWeeks ?? '').trim();
    if (!/^\d{1,3}$/.test(raw) || Number(raw) > 104)
      errors.push({ field: 'expectedWaitWeeks', message: 'Enter the expected wait in weeks, from 0 to 104' });
    else expectedWaitWeeks = Number(raw);
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { name, description, email, url, fees, status, capacity, expectedWaitWeeks } };
}

/** Refuses (403) anyone who may not edit this service; NotFound when it does not exist. */
export async function assertMayEditService(db: Db, actor: Actor, serviceId: string): Promise<void> {
  const curationRow = await curationq.findServiceCuration(db, serviceId);
  if (!curationRow) throw new NotFound('service');
  await assertMayEdit(db, actor, curationRow.organizationId);
}

/** A curator may edit any service; a provider only their own organisation's. */
async function assertMayEdit(db: Db, actor: Actor, organizationId: string | null): Promise<void> {
  if (hasRole(actor, 'curator')) return;
  if (hasRole(actor, 'provider') && actor.providerOrganisationId && organizationId) {
    const own = await providerDirectoryOrganization(db, actor.providerOrganisationId);
    if (own && own === organizationId) return;
  }
  throw new Forbidden('You can only change services your organisation runs.');
}

function diffOf(before: Record<string, unknown>, after: Record<string, unknown>) {
  const diff: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after)) {
    const from = before[key] ?? null;
    const to = after[key] === '' ? null : (after[key] ?? null);
    if (JSON.stringify(from) !== JSON.stringify(to)) diff[key] = { from, to };
  }
  return diff;
}

/** A saved edit: its revision (the diff, for the service's history) and its audit event. */
async function recordEdit(db: Db, actor: Actor, serviceId: string, role: 'curator' | 'provider', diff: Record<string, unknown>) {
  await curationq.recordRevision(db, { serviceId, userId: actor.userId, role, action: 'edit', diff });
  await recordAudit(db, {
    actor,
    tenantId: actor.tenantId,
    action: 'directory.service-edit',
    entityType: 'directory_service',
    entityId: serviceId,
    reason: Object.keys(diff).join(', '),
  });
}

/** Edits a service, records the field-by-field difference and audits it. Run in the actor's tenant transaction. */
export async function editService(db: Db, actor: Actor, serviceId: string, edit: ServiceEdit): Promise<{ changed: string[] }> {
  const service = await q.readService(db, serviceId);
  const curation = await curationq.findServiceCuration(db, serviceId);
  if (!service || !curation) throw new NotFound('service');
  await assertMayEdit(db, actor, curation.organizationId);
  if (edit.status === 'defunct' && !hasRole(actor, 'curator'))
    throw new RuleBroken('Only a curator can remove a service from the directory.', 'status');
  const before = {
    name: service.name,
    description: service.description ?? null,
    email: service.email ?? null,
    url: service.url ?? null,
    fees: service.fees ?? null,
    status: service.status,
    capacity: curation.capacity,
    expectedWaitWeeks: curation.expectedWaitWeeks,
  };
  const diff = diffOf(before, { ...edit });
  if (Object.keys(diff).length === 0) return { changed: [] };
  await writeDirectoryService(
    db,
    {
      ...service,
      name: edit.name,
      description: edit.description || null,
      email: edit.email || null,
      url: edit.url || null,
      fees: edit.fees || null,
      status: edit.status,
      last_modified: new Date().toISOString(),
    },
    { capacity: edit.capacity, expectedWaitWeeks: edit.expectedWaitWeeks },
  );
  await recordEdit(db, actor, serviceId, hasRole(actor, 'curator') ? 'curator' : 'provider', diff);
  return { changed: Object.keys(diff) };
}

/** A curator confirms the entry is correct: assured date and last verified move to today. */
export async function verifyService(db: Db, actor: Actor, serviceId: string): Promise<void> {
  if (!hasRole(actor, 'curator')) throw new Forbidden();
  const curation = await curationq.findServiceCuration(db, serviceId);
  if (!curation) throw new NotFound('service');
  await curationq.markVerified(db, serviceId, actor.userId, actor.email);
  await curationq.recordRevision(db, {
    serviceId,
    userId: actor.userId,
    role: 'curator',
    action: 'verify',
    diff: { lastVerifiedAt: { from: curation.lastVerifiedAt, to: 'now' } },
  });
  await recordAudit(db, {
    actor,
    tenantId: actor.tenantId,
    action: 'directory.service-verify',
    entityType: 'directory_service',
    entityId: serviceId,
  });
}

export async function listChangeRequests(db: Db, actor: Actor) {
  if (!hasRole(actor, 'curator')) throw new Forbidden();
  return curationq.listOpenChangeRequests(db);
}

/** The whole service as curation edits it; undefined when it does not exist. */
export async function readEditableService(db: Db, serviceId: string): Promise<EditableService | undefined> {
  const service = await q.readService(db, serviceId);
  if (!service) return undefined;
  return { ...service, application_process: await q.readApplicationProcess(db, serviceId) };
}

/** The service a curator or provider may edit, checked; NotFound or Forbidden otherwise. */
export async function editableServiceFor(db: Db, actor: Actor, serviceId: string): Promise<EditableService> {
  const curationRow = await curationq.findServiceCuration(db, serviceId);
  const service = curationRow ? await readEditableService(db, serviceId) : undefined;
  if (!curationRow || !service || service.status === 'defunct') throw new NotFound('service');
  await assertMayEdit(db, actor, curationRow.organizationId);
  return service;
}

/** One change to a part of a service: the part ('location' for a place) and its checked value. */
export interface PartChange {
  section: string;
  value: unknown;
  title: string;
}

/** Reads and checks the form of one part; InvalidInput names each wrong field. */
export async function checkPart(
  db: Db,
  service: EditableService,
  part: string,
  body: unknown,
  locationId: string | null = null,
): Promise<PartChange> {
  if (part === 'location') {
    if (locationId && !locationsOf(service).some((l) => l.id === locationId)) throw new NotFound('location');
    return { section: 'location', value: await checkLocation(db, body, service, locationId), title: locationId ? 'Place' : 'New place' };
  }
  const section = sectionAt(part);
  if (!section) throw new NotFound('page');
  return { section: part, value: await section.check(db, body, service), title: section.title };
}

function applyPart(service: EditableService, change: { section: string; value: unknown }): EditableService {
  if (change.section === 'location') return applyLocation(service, change.value as LocationValue);
  const section = sectionAt(change.section);
  if (!section)
    throw new RuleBroken('This change is for a part of a service that can no longer be changed. Reject it and ask for it again.');
  return section.apply(service, change.value);
}

/** Writes the whole service as edited, keeping its capacity and giving it a new modified time. */
async function persist(db: Db, edited: EditableService): Promise<void> {
  const curationRow = await curationq.findServiceCuration(db, edited.id);
  const { application_process: applicationProcess, ...service } = edited;
  await writeDirectoryService(
    db,
    {
      ...service,
      // Terms are linked by id: every one is already stored, and a partial copy must not overwrite it.
      attributes: (service.attributes ?? []).map((a) => ({
        id: a.id,
        link_id: service.id,
        link_type: a.link_type ?? null,
        link_entity: 'service',
        taxonomy_term_id: a.taxonomy_term?.id ?? a.taxonomy_term_id ?? null,
        value: a.value ?? null,
      })),
      last_modified: new Date().toISOString(),
    },
    curationRow ? { capacity: curationRow.capacity, expectedWaitWeeks: curationRow.expectedWaitWeeks } : {},
  );
  await q.writeApplicationProcess(db, edited.id, applicationProcess ?? null);
}

export type PartOutcome =
  { outcome: 'saved' | 'nochange'; changed: string[] } | { outcome: 'proposed'; changed: string[]; requestId: string };

/**
 * Changes one part of a service. A curator's change is made at once, with its difference in the
 * revisions and an audit row; a provider's becomes a change request a curator accepts or rejects.
 */
export async function changePart(
  db: Db,
  actor: Actor,
  serviceId: string,
  part: string,
  body: unknown,
  locationId: string | null = null,
): Promise<PartOutcome> {
  const service = await editableServiceFor(db, actor, serviceId);
  const change = await checkPart(db, service, part, body, locationId);
  const diff = differenceOf(describeService(service), describeService(applyPart(service, change)));
  const changed = Object.keys(diff);
  if (changed.length === 0) return { outcome: 'nochange', changed };
  if (hasRole(actor, 'curator')) {
    await persist(db, applyPart(service, change));
    await recordEdit(db, actor, serviceId, 'curator', diff);
    return { outcome: 'saved', changed };
  }
  const requestId = await propose(
    db,
    actor,
    {
      serviceId,
      kind: 'edit',
      details: `${change.title}: ${changed.join(', ')}`,
      proposal: { section: change.section, value: change.value },
      diff,
      organizationId: service.organization_id ?? null,
    },
    changed.join(', '),
  );
  return { outcome: 'proposed', changed, requestId };
}

/** A change put to a curator to approve, audited as proposed by the actor; its request's id. */
async function propose(
  db: Db,
  actor: Actor,
  request: Omit<Parameters<typeof curationq.insertProposal>[1], 'proposedBy'>,
  reason: string,
): Promise<string> {
  const { id } = await curationq.insertProposal(db, { ...request, details: request.details.slice(0, 2000), proposedBy: actor.userId });
  await recordAudit(db, {
    actor,
    tenantId: actor.tenantId,
    action: 'directory.change-propose',
    entityType: 'directory_change_request',
    entityId: id,
    reason,
  });
  return id;
}

/** What a new service starts with; the rest is added part by part once it exists. */
export interface NewService {
  name: string;
  description: string;
  email: string | null;
  url: string | null;
  /** An existing directory organisation, or null to create one called organizationName. */
  organizationId: string | null;
  organizationName: string;
}

export async function checkNewService(db: Db, actor: Actor, body: unknown): Promise<NewService> {
  const errors: Array<{ field: string; message: string }> = [];
  const name = field(body, 'name', { max: 300, label: 'Name' });
  if (!name) errors.push({ field: 'name', message: 'Enter the name of the service' });
  const description = field(body, 'description', { max: 5000, label: 'What it is' });
  if (!description) errors.push({ field: 'description', message: 'Enter what the service is and does' });
  const email = field(body, 'email', { max: 300, label: 'Email address' });
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    errors.push({ field: 'email', message: 'Enter an email address in the correct format, like name@example.com' });
  const url = field(body, 'url', { max: 2000, label: 'Website' });
  if (url && !/^https?:\/\/[^\s]+$/.test(url)) errors.push({ field: 'url', message: 'Enter a web address starting with https://' });
  let organizationId: string | null = null;
  let organizationName = '';
  if (hasRole(actor, 'curator')) {
    organizationName = field(body, 'organizationName', { max: 300, label: 'Organisation' });
    if (!organizationName) errors.push({ field: 'organizationName', message: 'Enter the name of the organisation that runs the service' });
    else {
      const found = await q.findOrganizationByName(db, organizationName);
      if (found) ({ id: organizationId, name: organizationName } = found);
    }
  } else {
    organizationId = actor.providerOrganisationId ? await providerDirectoryOrganization(db, actor.providerOrganisationId) : null;
    if (!organizationId)
      throw new Forbidden('Your organisation is not linked to a directory entry yet. Ask a directory curator to link it.');
    organizationName = (await q.readOrganization(db, organizationId))?.name ?? '';
  }
  if (errors.length) throw new InvalidInput(errors);
  return { name, description, email: email || null, url: url || null, organizationId, organizationName };
}

const newServiceInWords = (v: NewService) => ({
  Name: v.name,
  'What it is': v.description,
  Organisation: v.organizationName,
  Email: v.email,
  Website: v.url,
});

async function createService(db: Db, actor: Actor, v: NewService, proposedBy: string | null): Promise<string> {
  const id = randomUUID();
  const organizationId = v.organizationId ?? randomUUID();
  await writeDirectoryService(db, {
    id,
    organization_id: organizationId,
    name: v.name,
    description: v.description,
    email: v.email,
    url: v.url,
    status: 'active',
    ...(v.organizationId ? {} : { organization: { id: organizationId, name: v.organizationName, description: '' } }),
    last_modified: new Date().toISOString(),
  });
  const diff = Object.fromEntries(Object.entries(newServiceInWords(v)).map(([k, to]) => [k, { from: null, to }]));
  await curationq.recordRevision(db, {
    serviceId: id,
    userId: proposedBy ?? actor.userId,
    role: proposedBy ? 'provider' : 'curator',
    action: 'create',
    diff,
  });
  await recordAudit(db, {
    actor,
    tenantId: actor.tenantId,
    action: 'directory.service-create',
    entityType: 'directory_service',
    entityId: id,
  });
  return id;
}

/** A curator adds a service at once; a provider proposes one for a curator to approve. */
export async function addService(
  db: Db,
  actor: Actor,
  body: unknown,
): Promise<{ outcome: 'created'; serviceId: string } | { outcome: 'proposed'; requestId: string }> {
  if (!hasRole(actor, 'curator') && !hasRole(actor, 'provider')) throw new Forbidden();
  const value = await checkNewService(db, actor, body);
  if (hasRole(actor, 'curator')) return { outcome: 'created', serviceId: await createService(db, actor, value, null) };
  const diff = Object.fromEntries(Object.entries(newServiceInWords(value)).map(([k, to]) => [k, { from: null, to }]));
  const requestId = await propose(
    db,
    actor,
    {
      serviceId: null,
      kind: 'new-service',
      details: `New service: ${value.name}`,
      proposal: { section: 'new-service', value },
      diff,
      organizationId: value.organizationId,
    },
    'new service',
  );
  return { outcome: 'proposed', requestId };
}

/** Open changes a provider's organisation has proposed, so they can see what awaits review. */
export async function proposalsOfProvider(db: Db, actor: Actor) {
  if (!actor.providerOrganisationId) return [];
  const organizationId = await providerDirectoryOrganization(db, actor.providerOrganisationId);
  return organizationId ? curationq.listOpenProposalsOfOrganization(db, organizationId) : [];
}

export async function getChangeRequest(db: Db, actor: Actor, id: string) {
  if (!hasRole(actor, 'curator')) throw new Forbidden();
  const request = await curationq.findChangeRequest(db, id);
  if (!request) throw new NotFound('change request');
  return request;
}

/** Accept (the curator has made the change) or reject with a reason; either way it leaves the queue. */
export async function decideChangeRequest(
  db: Db,
  actor: Actor,
  id: string,
  decision: { outcome?: string; reason?: string },
): Promise<void> {
  const request = await getChangeRequest(db, actor, id);
  if (request.status !== 'open') throw new RuleBroken('This change request has already been decided.');
  if (decision.outcome !== 'accepted' && decision.outcome !== 'rejected') {
    throw new InvalidInput([{ field: 'outcome', message: 'Select whether to accept or reject the change' }]);
  }
  const reason = (decision.reason ?? '').trim();
  if (decision.outcome === 'rejected' && !reason)
    throw new InvalidInput([{ field: 'reason', message: 'Enter why the change is rejected' }]);
  if (reason.length > 1000) throw new InvalidInput([{ field: 'reason', message: 'Reason must be 1000 characters or fewer' }]);
  let serviceId = request.serviceId;
  if (decision.outcome === 'accepted' && request.proposal) {
    const proposal = request.proposal;
    if (request.kind === 'new-service') {
      serviceId = await createService(db, actor, proposal.value as NewService, null);
      await curationq.setChangeRequestService(db, id, serviceId);
    } else {
      // Applied to the service as it is now, so changes made since to other parts stay.
      const service = serviceId ? await readEditableService(db, serviceId) : undefined;
      if (!service) throw new NotFound('service');
      const edited = applyPart(service, proposal);
      const diff = differenceOf(describeService(service), describeService(edited));
      if (Object.keys(diff).length) {
        await persist(db, edited);
        await curationq.recordRevision(db, { serviceId: service.id, userId: actor.userId, role: 'curator', action: 'edit', diff });
        await recordAudit(db, {
          actor,
          tenantId: actor.tenantId,
          action: 'directory.service-edit',
          entityType: 'directory_service',
          entityId: service.id,
          reason: Object.keys(diff).join(', '),
        });
      }
    }
  }
  await curationq.decideChangeRequest(db, id, decision.outcome, reason || null, actor.userId);
  if (serviceId)
    await curationq.recordRevision(db, {
      serviceId,
      userId: actor.userId,
      role: 'curator',
      action: `change-request-${decision.outcome}`,
      diff: { changeRequest: { from: 'open', to: decision.outcome } },
    });
  await recordAudit(db, {
    actor,
    tenantId: actor.tenantId,
    action: `directory.change-request-${decision.outcome === 'accepted' ? 'accept' : 'reject'}`,
    entityType: 'directory_change_request',
    entityId: id,
    reason: reason || null,
  });
}

/** Services not verified within `months` (default 6), oldest first, for curators to follow up. */
export async function freshnessQueue(db: Db, actor: Actor, months = DEFAULT_FRESHNESS_MONTHS, now = new Date()) {
  if (!hasRole(actor, 'curator')) throw new Forbidden();
  const before = new Date(now);
  before.setMonth(before.getMonth() - months);
  return curationq.listStaleServices(db, before);
}

/** The services a provider user may edit (their organisation's), or every service's org for curators. */
export async function servicesForProvider(db: Db, actor: Actor) {
  if (!actor.providerOrganisationId) return { organizationId: null, services: [] };
  const organizationId = await providerDirectoryOrganization(db, actor.providerOrganisationId);
  return { organizationId, services: organizationId ? await curationq.servicesOfOrganization(db, organizationId) : [] };
}

export async function revisionsOf(db: Db, serviceId: string) {
  return curationq.listRevisions(db, serviceId);
}
