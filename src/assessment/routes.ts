import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NEEDS } from '../vocabulary/needs.ts';
import { rolePolicy } from '../identity/policy.ts';
import { asFieldErrors, ctx, signedIn, view } from '../web/pages.ts';
import { bodyValues, field, fields } from '../web/forms.ts';
import { formatDate } from '../calendar/format.ts';
import { FormBody, IdParams, TextOrList, FormField } from '../web/schemas.ts';
import * as service from './service.ts';

const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');
const leads = rolePolicy('lead', 'lead');

const ReferralParams = IdParams('referralId');
// A rating and a note for each need: `need-<code>` and `note-<code>`.
const AssessmentForm = FormBody({
  whatMatters: FormField,
  ...Object.fromEntries(NEEDS.flatMap((n) => [[`need-${n.code}`, FormField] as const, [`note-${n.code}`, FormField] as const])),
  strengths: FormField,
  barriers: TextOrList(),
  barrierNotes: FormField,
  risks: FormField,
});

export const assessmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  const assessmentPage = async (
    reply: import('fastify').FastifyReply,
    actor: import('../identity/actor.ts').Actor,
    referralId: string,
    status: number,
    values: Record<string, unknown>,
    errors: import('../web/errors.ts').FieldError[] = [],
  ) => {
    const episode = await service.loadEpisode(pool, actor, referralId);
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

  app.get('/referrals/:referralId/assessment', { schema: { params: ReferralParams }, config: { policy: staff } }, async (req, reply) => {
    const { referralId } = req.params;
    return assessmentPage(reply, signedIn(req), referralId, 200, {});
  });

  app.post(
    '/referrals/:referralId/assessment',
    { schema: { params: ReferralParams, body: AssessmentForm }, config: { policy: staff, oncePerForm: true } },
    async (req, reply) => {
      const actor = signedIn(req);
      const { referralId } = req.params;
      const body = req.body;
      try {
        await service.recordAssessment(
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
        );
      } catch (error) {
        const shown = asFieldErrors(error, 'whatMatters');
        if (!shown) throw error;
        return assessmentPage(reply, actor, referralId, shown.status, bodyValues(body), shown.errors);
      }
      return reply.redirect(`/referrals/${referralId}/support?done=assessment`, 303);
    },
  );

  app.get('/referrals/:referralId/safeguarding', { schema: { params: ReferralParams }, config: { policy: staff } }, async (req, reply) => {
    const { referralId } = req.params;
    const episode = await service.loadEpisode(pool, signedIn(req), referralId, ctx(req));
    return view(reply, 200, 'assessment/views/safeguarding.njk', { r: episode.referral, values: {} });
  });

  app.post(
    '/referrals/:referralId/safeguarding',
    { schema: { params: ReferralParams, body: FormBody({ concern: FormField }) }, config: { policy: staff, oncePerForm: true } },
    async (req, reply) => {
      const actor = signedIn(req);
      const { referralId } = req.params;
      try {
        await service.raiseConcern(pool, actor, referralId, field(req.body, 'concern'), ctx(req));
      } catch (error) {
        const shown = asFieldErrors(error, 'concern');
        if (!shown) throw error;
        const episode = await service.loadEpisode(pool, actor, referralId);
        return view(
          reply,
          shown.status,
          'assessment/views/safeguarding.njk',
          { r: episode.referral, values: bodyValues(req.body) },
          shown.errors,
        );
      }
      return reply.redirect(`/referrals/${referralId}/support?done=safeguarding`, 303);
    },
  );

  app.get('/safeguarding', { config: { policy: leads } }, async (req, reply) => {
    const tasks = await service.openSafeguardingTasks(pool, signedIn(req));
    return view(reply, 200, 'assessment/views/tasks.njk', { tasks: tasks.map((t) => ({ ...t, raised: formatDate(t.raisedAt) })) });
  });

  app.post(
    '/safeguarding/:concernId/action',
    { schema: { params: IdParams('concernId'), body: FormBody({ action: FormField }) }, config: { policy: leads, oncePerForm: true } },
    async (req, reply) => {
      const actor = signedIn(req);
      const { concernId } = req.params;
      try {
        const { referralId } = await service.recordConcernAction(pool, actor, concernId, field(req.body, 'action'), ctx(req));
        return reply.redirect(`/referrals/${referralId}/support?done=safeguarding-action`, 303);
      } catch (error) {
        const shown = asFieldErrors(error, `action-${concernId}`);
        if (!shown) throw error;
        const tasks = await service.openSafeguardingTasks(pool, actor);
        const errors = shown.errors.map((e) => ({ ...e, field: e.field === 'action' ? `action-${concernId}` : e.field }));
        return view(
          reply,
          shown.status,
          'assessment/views/tasks.njk',
          { tasks: tasks.map((t) => ({ ...t, raised: formatDate(t.raisedAt) })) },
          errors,
        );
      }
    },
  );
};
