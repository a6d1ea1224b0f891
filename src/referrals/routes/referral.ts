import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import type { Actor } from '../../identity/actor.ts';
import { describeGpRecordStatus, gpRecordStatus } from '../../interop/mesh/service.ts';

import { InvalidInput } from '../../web/errors.ts';
import { attempt, firstVisit, formStep, invalidForm, type RecordPage } from '../../web/pages.ts';
import type { Policy } from '../../identity/policy.ts';
import { bodyValues, LIMITS } from '../../web/forms.ts';
import { FormBody, TextQuery, FormField } from '../../web/schemas.ts';
import { ALLOCATED_STATUSES, OPEN_STATUSES, STATUS_LABELS } from '../lifecycle.ts';
import * as present from '../present.ts';
import { checkContact, checkVersion, ContactFields, list, text } from '../schema.ts';
import * as service from '../service.ts';
import { ctx, leads, ReferralParams, render, signedIn, staff } from './pages.ts';
import { formatDate, formatDateTime } from '../../calendar/format.ts';

/** The referral page, the steps taken from it (accept, close, next action, consents) and contacts. */
export const referralPageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  const showReferral: RecordPage = async (req, reply, referralId, { status, values, errors } = firstVisit()) => {
    const actor = signedIn(req);
    const view = await service.getReferral(pool, actor, referralId, ctx(req));
    const r = view.referral;
    const isLead = actor.roles.includes('lead');
    const notice = text(req.query, 'done');
    const needsMatching = !!view.match && !view.match.decision;
    // Where the discharge summary has got to on its way into the GP record.
    const gpRecordView = r.status === 'discharged' ? describeGpRecordStatus(await gpRecordStatus(pool, actor, referralId)) : undefined;
    return render(
      reply,
      status,
      'referral.njk',
      {
        r,
        view,
        isLead,
        values,
        notice,
        gpRecordView,
        statusTag: present.statusTag(r.status),
        urgencyTag: present.urgencyTag(r.urgency),
        received: formatDateTime(r.receivedAt),
        nextDue: formatDate(r.nextActionDue),
        reasonsText: present.reasonsText(r.reasons),
        source: present.labels.SOURCES[r.source],
        channel: present.labels.CHANNELS[r.channel],
        needsMatching,
        submittedConsents: view.submittedConsents.length ? present.consentStatements(view.submittedConsents) : '',
        consentItems: view.submittedConsents.map((c) => ({
          value: c.kind,
          text: present.consentStatements([c]).replace(/^Agreed to/, 'To'),
          checked: list(values, 'consents').includes(c.kind),
        })),
        consentsConfirmed: view.match?.consentsConfirmedAt
          ? `Confirmed with the person by ${view.match.consentsConfirmedByName ?? 'a link worker'}, ${formatDateTime(view.match.consentsConfirmedAt)}.`
          : '',
        canAccept: isLead && r.status === 'received' && !needsMatching,
        canAllocate:
          isLead && !needsMatching && (r.status === 'received' || r.status === 'triaged' || ALLOCATED_STATUSES.includes(r.status)),
        canNotSuitable: isLead && (r.status === 'received' || r.status === 'triaged'),
        canContact: ALLOCATED_STATUSES.includes(r.status) || r.status === 'unable_to_contact',
        isOpen: OPEN_STATUSES.includes(r.status),
        closeItems: view.allowedNext
          .filter((s) => s === 'declined' || s === 'withdrawn')
          .map((s) => ({ value: s, text: STATUS_LABELS[s], checked: values.status === s })),
        contacts: view.contacts.map((c) => ({
          ...c,
          when: formatDateTime(c.occurredAt),
          modeLabel: present.labels.CONTACT_MODES[c.mode],
          approachLabel: c.approach ? present.labels.APPROACHES[c.approach] : '',
        })),
        transitions: [...view.transitions].reverse().map((t) => ({
          ...t,
          when: formatDateTime(t.occurredAt),
          fromLabel: t.fromStatus ? STATUS_LABELS[t.fromStatus] : '',
          toLabel: STATUS_LABELS[t.toStatus],
        })),
        allocations: [...view.allocations].reverse().map((a) => ({ ...a, when: formatDateTime(a.allocatedAt) })),
        nextActionValues: { nextAction: values.nextAction ?? r.nextAction ?? '', due: values.due ?? r.nextActionDue ?? '' },
      },
      errors,
    );
  };

  app.get(
    '/referrals/:referralId',
    { schema: { params: ReferralParams, querystring: TextQuery('done') }, config: { policy: staff } },
    async (req, reply) => showReferral(req, reply, req.params.referralId),
  );

  const referralAction = (
    path: string,
    policy: Policy,
    body: Record<string, TSchema>,
    act: (actor: Actor, referralId: string, body: Record<string, unknown>, req: FastifyRequest) => Promise<unknown>,
    done: string,
  ) =>
    formStep(app, `/referrals/:referralId/${path}`, {
      policy,
      body,
      page: showReferral,
      field: 'status',
      act,
      next: (referralId) => `/referrals/${referralId}?done=${done}`,
    });

  referralAction(
    'accept',
    leads,
    { version: FormField },
    (actor, id, body, req) => service.acceptReferral(pool, actor, id, checkVersion(body), ctx(req)),
    'accepted',
  );
  // This form only closes a referral; the other steps have their own pages (contacts, allocation,
  // and later assessment and discharge).
  referralAction(
    'status',
    staff,
    { status: FormField, reason: FormField, version: FormField },
    async (actor, id, body, req) => {
      const to = text(body, 'status');
      if (to !== 'declined' && to !== 'withdrawn') {
        await service.getReferral(pool, actor, id, ctx(req));
        throw new InvalidInput([{ field: 'status', message: 'Select whether the person declined or the referral was withdrawn' }]);
      }
      return service.transitionReferral(
        pool,
        actor,
        id,
        { to, reason: text(body, 'reason', { max: LIMITS.shortReason, label: 'Reason' }), version: checkVersion(body) },
        ctx(req),
      );
    },
    'status',
  );
  referralAction(
    'confirmed-consents',
    staff,
    { consents: FormField },
    (actor, id, body, req) => service.confirmSubmittedConsents(pool, actor, id, list(body, 'consents'), ctx(req)),
    'consents',
  );
  referralAction(
    'unable-to-contact',
    staff,
    { version: FormField },
    (actor, id, body, req) => service.markUnableToContact(pool, actor, id, { version: checkVersion(body) }, ctx(req)),
    'unable-to-contact',
  );
  referralAction(
    'next-action',
    staff,
    { nextAction: FormField, due: FormField, version: FormField },
    (actor, id, body, req) =>
      service.setNextAction(
        pool,
        actor,
        id,
        {
          nextAction: text(body, 'nextAction', { max: LIMITS.shortReason, label: 'Next action' }),
          due: text(body, 'due', { max: 20, label: 'Due date' }),
          version: checkVersion(body),
        },
        ctx(req),
      ),
    'next-action',
  );

  const showContact: RecordPage = async (req, reply, referralId, { status, values, errors } = firstVisit()) => {
    const view = await service.getReferral(pool, signedIn(req), referralId, ctx(req));
    return render(reply, status, 'contact.njk', { r: view.referral, values, ...present.contactFormItems(values) }, errors);
  };
  app.get('/referrals/:referralId/contacts/new', { schema: { params: ReferralParams }, config: { policy: staff } }, async (req, reply) =>
    showContact(req, reply, req.params.referralId),
  );
  app.post(
    '/referrals/:referralId/contacts',
    { schema: { params: ReferralParams, body: FormBody(ContactFields) }, config: { policy: staff, oncePerForm: true } },
    async (req, reply) => {
      const { referralId } = req.params;
      const body = bodyValues(req.body);
      const checked = checkContact(body);
      if (!checked.ok) return showContact(req, reply, referralId, invalidForm(checked.errors, body));
      const done = await attempt(() => service.recordContact(pool, signedIn(req), referralId, checked.value, ctx(req)), {
        field: 'outcome',
        values: body,
      });
      if (!done.ok) return showContact(req, reply, referralId, done.form);
      return reply.redirect(`/referrals/${referralId}?done=contact`, 303);
    },
  );
};
