import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { compareDetails } from '../../people/matching.ts';
import { formatNhsNumber } from '../../people/nhs-number.ts';

import { attempt, firstVisit, formStep, type FormState, type RecordPage } from '../../web/pages.ts';
import { bodyValues, field, fields, LIMITS } from '../../web/forms.ts';
import { FormBody, TextQuery, FormField } from '../../web/schemas.ts';
import * as present from '../present.ts';
import { checkVersion, text } from '../schema.ts';
import * as service from '../service.ts';
import { ctx, leads, render, signedIn } from './pages.ts';
import * as personPresent from '../../people/present.ts';
import { formatDate } from '../../calendar/format.ts';

/** Triage: the queue, accepting or allocating several at once, matching held referrals, not suitable, allocation. */
export const triageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  const showTriage = async (req: FastifyRequest, reply: FastifyReply, { status, values, errors }: FormState = firstVisit()) => {
    const actor = signedIn(req);
    const search = field(req.query, 'q', { max: service.SEARCH_MAX_LENGTH, label: 'Search' });
    const rows = await service.triageQueue(pool, actor, { ...ctx(req), search });
    const { caseloads } = await service.teamOverview(pool, actor);
    const selected = new Set(Array.isArray(values.referralIds) ? values.referralIds : [values.referralIds]);
    const done = field(req.query, 'done');
    const count = Number(field(req.query, 'count')) || 0;
    // The summary's "select at least one" link goes to the first box in the table.
    const firstBox = rows[0] ? `referral-${rows[0].id}` : 'q';
    return render(
      reply,
      status,
      'triage.njk',
      {
        search,
        values,
        notice: (done === 'accepted' || done === 'allocated') && count > 0 ? `${count} referral${count === 1 ? '' : 's'} ${done}.` : '',
        rows: rows.map((r) => ({
          ...r,
          received: formatDate(r.receivedAt),
          urgencyTag: present.urgencyTag(r.urgency),
          statusTag: present.statusTag(r.status),
          reasonsText: r.reasons.map(present.needLabel).join(', '),
          selected: selected.has(r.id),
        })),
        workerItems: [
          { value: '', text: 'Choose a link worker' },
          ...caseloads.map((w) => ({
            value: w.userId,
            text: `${w.name} (${w.openReferrals} open)`,
            selected: values.linkWorkerId === w.userId,
          })),
        ],
      },
      errors.map((e) => (e.field === 'referralIds' ? { ...e, field: firstBox } : e)),
    );
  };

  app.get('/triage', { schema: { querystring: TextQuery('q', 'done', 'count') }, config: { policy: leads } }, async (req, reply) =>
    showTriage(req, reply),
  );

  app.post(
    '/triage/bulk',
    { schema: { body: FormBody({ action: FormField, referralIds: FormField, linkWorkerId: FormField }) }, config: { policy: leads } },
    async (req, reply) => {
      const action = field(req.body, 'action', { max: 20, label: 'Action' });
      const done = await attempt(
        () =>
          service.bulkTriage(
            pool,
            signedIn(req),
            {
              action,
              referralIds: fields(req.body, 'referralIds', { max: 36, label: 'Selected referrals' }),
              linkWorkerId: field(req.body, 'linkWorkerId', { max: 36, label: 'Link worker' }),
            },
            ctx(req),
          ),
        { field: 'referralIds', values: bodyValues(req.body) },
      );
      if (!done.ok) return showTriage(req, reply, done.form);
      return reply.redirect(`/triage?done=${action === 'accept' ? 'accepted' : 'allocated'}&count=${done.value.count}`, 303);
    },
  );

  const showMatch: RecordPage = async (req, reply, referralId, { status, values, errors } = firstVisit()) => {
    const page = await service.matchPage(pool, signedIn(req), referralId, ctx(req));
    const { submitted, match } = page;
    const born = (p: { dateOfBirth: string }) => `born ${formatDate(p.dateOfBirth)}`;
    return render(
      reply,
      status,
      'match.njk',
      {
        r: page.referral,
        values,
        nhsNumberHeldElsewhere: page.nhsNumberHeldElsewhere,
        submittedNhsNumber: formatNhsNumber(match.nhsNumber),
        reasonText:
          match.reason === 'self_referral'
            ? 'The person referred themself online.'
            : 'The referrer entered an NHS number that is on a record with a different name or date of birth.',
        decided: !!match.decision,
        decidedText:
          match.decision === 'same_person'
            ? `Matched to ${match.matchedPersonName} by ${match.decidedByName ?? 'a lead'}.`
            : `Kept as a new person by ${match.decidedByName ?? 'a lead'}.`,
        submittedRows: [
          ...personPresent
            .personRows(submitted, null)
            .filter((row) =>
              ['Name', 'NHS number', 'Date of birth', 'Postcode', 'Address', 'Phone', 'Email', 'How to contact'].includes(row.key.text),
            ),
          { key: { text: 'Consent given with it' }, value: { text: present.consentStatements(page.consents) } },
        ],
        candidates: page.candidates.map((record) => ({
          id: record.id,
          caption: `${record.givenName} ${record.familyName}, ${born(record)}`,
          rows: compareDetails(submitted, record, formatDate).map((d) => [
            { header: 'Detail', text: d.label },
            { header: 'In the referral', text: d.submitted },
            { header: 'On this record', text: d.record },
            { header: 'Same?', html: personPresent.agreementTag(d.agreement) },
          ]),
        })),
        choiceItems: page.candidates.map((record) => ({
          value: record.id,
          checked: values.choice === record.id,
          text: `The same person as ${record.givenName} ${record.familyName}, ${born(record)}`,
          hint: {
            text: 'The referral joins this record. Its consents stay as they are; the link worker confirms with the person what they agreed to.',
          },
        })),
      },
      errors,
    );
  };
  formStep(app, '/triage/:referralId/match', {
    policy: leads,
    pageHere: true,
    body: { choice: FormField, nhsNumber: FormField },
    page: showMatch,
    field: 'choice',
    act: (actor, referralId, body, req) =>
      service.resolveMatch(
        pool,
        actor,
        referralId,
        { choice: text(body, 'choice'), nhsNumber: typeof body.nhsNumber === 'string' ? body.nhsNumber : undefined },
        ctx(req),
      ),
    next: (referralId) => `/referrals/${referralId}?done=matched`,
  });

  const showNotSuitable: RecordPage = async (req, reply, referralId, { status, values, errors } = firstVisit()) => {
    const view = await service.getReferral(pool, signedIn(req), referralId, ctx(req));
    return render(reply, status, 'not-suitable.njk', { r: view.referral, values }, errors);
  };
  formStep(app, '/referrals/:referralId/not-suitable', {
    policy: leads,
    pageHere: true,
    body: { notSuitableReason: FormField, redirectedTo: FormField, version: FormField },
    page: showNotSuitable,
    field: 'notSuitableReason',
    act: (actor, referralId, body, req) =>
      service.transitionReferral(
        pool,
        actor,
        referralId,
        {
          to: 'not_suitable',
          notSuitableReason: text(body, 'notSuitableReason', { max: LIMITS.shortReason, label: 'Reason' }),
          redirectedTo: text(body, 'redirectedTo', { max: LIMITS.organisationName, label: 'Where you redirected them' }),
          version: checkVersion(body),
        },
        ctx(req),
      ),
    next: () => '/triage',
  });

  const showAllocate: RecordPage = async (req, reply, referralId, { status, values, errors } = firstVisit()) => {
    const suggestion = await service.suggestAllocation(pool, signedIn(req), referralId);
    const chosen = typeof values.linkWorkerId === 'string' ? values.linkWorkerId : suggestion.suggestedUserId;
    return render(
      reply,
      status,
      'allocate.njk',
      {
        r: suggestion.referral,
        values,
        workerItems: suggestion.workers
          .filter((w) => w.userId !== suggestion.referral.assignedTo)
          .map((w) => ({
            value: w.userId,
            checked: w.userId === chosen,
            text: `${w.name}${w.suggested ? ' (suggested)' : ''}`,
            hint: {
              text: `${w.openReferrals} open referral${w.openReferrals === 1 ? '' : 's'}${w.samePractice ? `, ${w.samePractice} from this person’s practice` : ''}`,
            },
          })),
      },
      errors,
    );
  };
  formStep(app, '/referrals/:referralId/allocate', {
    policy: leads,
    pageHere: true,
    body: { linkWorkerId: FormField, reason: FormField, version: FormField },
    page: showAllocate,
    field: 'linkWorkerId',
    act: (actor, referralId, body, req) =>
      service.allocateReferral(
        pool,
        actor,
        referralId,
        {
          linkWorkerId: text(body, 'linkWorkerId', { max: 36, label: 'Link worker' }),
          reason: text(body, 'reason', { max: LIMITS.shortReason, label: 'Reason' }),
          version: checkVersion(body),
        },
        ctx(req),
      ),
    next: (referralId) => `/referrals/${referralId}?done=allocated`,
  });
};
