import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NEEDS } from '../vocabulary/needs.ts';
import { rolePolicy } from '../identity/policy.ts';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../identity/actor.ts';
import { attempt, ctx, firstVisit, formStep, signedIn, view, type FormState, type RecordPage } from '../web/pages.ts';
import { field, fields } from '../web/forms.ts';
import { formatDate } from '../calendar/format.ts';
import { FormBody, IdParams, TextOrList, FormField } from '../web/schemas.ts';
import * as service from './service.ts';

const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');
const leads = rolePolicy('lead', 'lead');

// A rating and a note for each need: `need-<code>` and `note-<code>`.
const AssessmentFields = {
  whatMatters: FormField,
  ...Object.fromEntries(NEEDS.flatMap((n) => [[`need-${n.code}`, FormField] as const, [`note-${n.code}`, FormField] as const])),
  strengths: FormField,
  barriers: TextOrList(),
  barrierNotes: FormField,
  risks: FormField,
};

export const assessmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  const assessmentPage: RecordPage = async (req, reply, referralId, { status, values, errors } = firstVisit()) => {
    const episode = await service.loadEpisode(pool, signedIn(req), referralId);
    return view(
      reply,
      status,
      'assessment/views/assessment.njk',
      {
        r: episode.referral,
        values,
        needRows: NEEDS.map((n) => ({
          code: n.code,
          label: n.label,
          items: service.NEED_RATINGS.map((r) => ({ value: r.code, text: r.label, checked: values[`need-${n.code}`] === r.code })),
        })),
        barrierItems: service.BARRIERS.map((b) => ({ value: b.code, text: b.label, checked: fields(values, 'barriers').includes(b.code) })),
      },
      errors,
    );
  };

  formStep(app, '/referrals/:referralId/assessment', {
    policy: staff,
    oncePerForm: true,
    pageHere: true,
    body: AssessmentFields,
    page: assessmentPage,
    field: 'whatMatters',
    act: (actor, referralId, body, req) =>
      service.recordAssessment(
        pool,
        actor,
        referralId,
        {
          whatMatters: field(body, 'whatMatters'),
          needs: NEEDS.map((n) => ({ need: n.code, rating: field(body, `need-${n.code}`), notes: field(body, `note-${n.code}`) })),
          strengths: field(body, 'strengths'),
          barriers: fields(body, 'barriers'),
          barrierNotes: field(body, 'barrierNotes'),
          risks: field(body, 'risks'),
        },
        ctx(req),
      ),
    next: (referralId) => `/referrals/${referralId}/support?done=assessment`,
  });

  const safeguardingPage: RecordPage = async (req, reply, referralId, form) => {
    const { status, values, errors } = form ?? firstVisit();
    const episode = await service.loadEpisode(pool, signedIn(req), referralId, form ? {} : ctx(req));
    return view(reply, status, 'assessment/views/safeguarding.njk', { r: episode.referral, values }, errors);
  };

  formStep(app, '/referrals/:referralId/safeguarding', {
    policy: staff,
    oncePerForm: true,
    pageHere: true,
    body: { concern: FormField },
    page: safeguardingPage,
    field: 'concern',
    act: (actor, referralId, body, req) => service.raiseConcern(pool, actor, referralId, field(body, 'concern'), ctx(req)),
    next: (referralId) => `/referrals/${referralId}/support?done=safeguarding`,
  });

  const tasksPage = async (reply: FastifyReply, actor: Actor, { status, errors }: FormState = firstVisit()) => {
    const tasks = await service.openSafeguardingTasks(pool, actor);
    return view(
      reply,
      status,
      'assessment/views/tasks.njk',
      { tasks: tasks.map((t) => ({ ...t, raised: formatDate(t.raisedAt) })) },
      errors,
    );
  };

  app.get('/safeguarding', { config: { policy: leads } }, async (req, reply) => tasksPage(reply, signedIn(req)));

  app.post(
    '/safeguarding/:concernId/action',
    { schema: { params: IdParams('concernId'), body: FormBody({ action: FormField }) }, config: { policy: leads, oncePerForm: true } },
    async (req, reply) => {
      const actor = signedIn(req);
      const { concernId } = req.params;
      const actioned = await attempt(() => service.recordConcernAction(pool, actor, concernId, field(req.body, 'action'), ctx(req)), {
        field: `action-${concernId}`,
      });
      if (actioned.ok) return reply.redirect(`/referrals/${actioned.value.referralId}/support?done=safeguarding-action`, 303);
      const { status, errors } = actioned.form;
      return tasksPage(reply, actor, {
        status,
        values: {},
        errors: errors.map((e) => ({ ...e, field: e.field === 'action' ? `action-${concernId}` : e.field })),
      });
    },
  );
};
