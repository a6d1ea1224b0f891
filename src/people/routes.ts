import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import * as present from '../referrals/present.ts';
import { ctx, render, signedIn, staff } from '../referrals/routes/pages.ts';
import { attempt, firstVisit, invalidForm, type FormState } from '../web/pages.ts';
import { bodyValues, field as text, LIMITS, version as checkVersion } from '../web/forms.ts';
import { FormBody, IdParams, TextQuery, FormField } from '../web/schemas.ts';
import { formatNhsNumber } from './nhs-number.ts';
import { checkPerson, PersonFields } from './schema.ts';
import * as service from './service.ts';
import * as personPresent from './present.ts';
import { formatDate, formatDateTime } from '../calendar/format.ts';

const PersonParams = IdParams('personId');

/** The person page, editing, merging and consents. */
export const peopleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  app.get(
    '/people/:personId',
    { schema: { params: PersonParams, querystring: TextQuery('done') }, config: { policy: staff } },
    async (req, reply) => {
      const actor = signedIn(req);
      const { personId } = req.params;
      const page = await service.personPage(pool, actor, personId, ctx(req));
      if (page.person.mergedIntoId) return reply.redirect(`/people/${page.person.mergedIntoId}`, 303);
      return render(reply, 200, 'people/views/person.njk', {
        p: page.person,
        personRows: personPresent.personRows(page.person, page.person.practiceName, `/people/${personId}/edit`),
        referrals: page.referrals.map((r) => ({
          ...r,
          received: formatDate(r.receivedAt),
          statusTag: present.statusTag(r.status),
        })),
        consents: page.consents.map((c) => ({
          ...c,
          recorded: formatDateTime(c.recordedAt),
          withdrawn: formatDateTime(c.withdrawnAt),
        })),
        hasResearchConsent: page.consents.some((c) => c.kind === 'research' && !c.withdrawnAt),
        timeline: page.timeline.map((e) => ({ ...e, when: formatDateTime(e.at) })),
        mergedFrom: page.mergedFrom,
        notice: text(req.query, 'done'),
      });
    },
  );

  const showEdit = async (
    req: FastifyRequest,
    reply: FastifyReply,
    personId: string,
    // Drawn first from the record as it stands.
    form?: FormState,
  ) => {
    const actor = signedIn(req);
    const { person } = await service.getPerson(pool, actor, personId, ctx(req));
    const shown = form?.values ?? { ...personPresent.personFormValues(person), version: String(person.version) };
    const practices = await service.practices(pool, actor);
    return render(
      reply,
      form?.status ?? 200,
      'people/views/person-page.njk',
      {
        action: `/people/${personId}/edit`,
        values: shown,
        back: `/people/${personId}`,
        editing: true,
        ...personPresent.personFormItems(shown, practices),
      },
      form?.errors,
    );
  };
  app.get('/people/:personId/edit', { schema: { params: PersonParams }, config: { policy: staff } }, async (req, reply) =>
    showEdit(req, reply, req.params.personId),
  );
  app.post(
    '/people/:personId/edit',
    { schema: { params: PersonParams, body: FormBody({ ...PersonFields, version: FormField }) }, config: { policy: staff } },
    async (req, reply) => {
      const { personId } = req.params;
      const values = bodyValues(req.body);
      const checked = checkPerson(values);
      if (!checked.ok) return showEdit(req, reply, personId, invalidForm(checked.errors, values));
      const saved = await attempt(
        () => service.updatePerson(pool, signedIn(req), personId, checkVersion(values), checked.value, ctx(req)),
        { field: 'givenName', values },
      );
      if (!saved.ok) return showEdit(req, reply, personId, saved.form);
      return reply.redirect(`/people/${personId}?done=saved`, 303);
    },
  );

  const showMerge = async (req: FastifyRequest, reply: FastifyReply, personId: string, { status, errors }: FormState = firstVisit()) => {
    const actor = signedIn(req);
    const { person } = await service.getPerson(pool, actor, personId, ctx(req));
    const candidates = (await service.findDuplicates(pool, actor, person)).filter((d) => d.id !== personId);
    return render(
      reply,
      status,
      'people/views/merge.njk',
      {
        p: person,
        items: candidates.map((d) => ({
          value: d.id,
          text: `${d.givenName} ${d.familyName}, born ${formatDate(d.dateOfBirth)}`,
          hint: {
            text: [d.nhsNumber ? `NHS number ${formatNhsNumber(d.nhsNumber)}` : 'No NHS number', d.postcode].filter(Boolean).join(' · '),
          },
        })),
      },
      errors,
    );
  };
  app.get('/people/:personId/merge', { schema: { params: PersonParams }, config: { policy: staff } }, async (req, reply) =>
    showMerge(req, reply, req.params.personId),
  );
  app.post(
    '/people/:personId/merge',
    { schema: { params: PersonParams, body: FormBody({ duplicateId: FormField }) }, config: { policy: staff } },
    async (req, reply) => {
      const { personId } = req.params;
      const duplicateId = text(req.body, 'duplicateId');
      if (!duplicateId)
        return showMerge(
          req,
          reply,
          personId,
          invalidForm([{ field: 'duplicateId', message: 'Select the record to merge into this one' }]),
        );
      const merged = await attempt(() => service.mergePeople(pool, signedIn(req), personId, duplicateId, ctx(req)), {
        field: 'duplicateId',
      });
      if (!merged.ok) return showMerge(req, reply, personId, merged.form);
      return reply.redirect(`/people/${personId}?done=merged`, 303);
    },
  );

  app.post(
    '/people/:personId/consents/research',
    { schema: { params: PersonParams, body: FormBody({}) }, config: { policy: staff } },
    async (req, reply) => {
      const { personId } = req.params;
      await service.recordResearchConsent(pool, signedIn(req), personId, ctx(req));
      return reply.redirect(`/people/${personId}?done=consent`, 303);
    },
  );

  app.post(
    '/people/:personId/consents/:consentId/withdraw',
    { schema: { params: IdParams('personId', 'consentId'), body: FormBody({ reason: FormField }) }, config: { policy: staff } },
    async (req, reply) => {
      const { personId, consentId } = req.params;
      await service.withdrawConsent(
        pool,
        signedIn(req),
        personId,
        consentId,
        text(req.body, 'reason', { max: LIMITS.shortReason, label: 'Reason for withdrawing consent' }) || null,
        ctx(req),
      );
      return reply.redirect(`/people/${personId}?done=consent`, 303);
    },
  );
};
