import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Actor } from '../identity/actor.ts';
import { rolePolicy } from '../identity/policy.ts';
import { sectionsPdf } from '../discharge/pdf.ts';
import { ctx, firstVisit, formStep, recordPage, sendFile, signedIn, view } from '../web/pages.ts';
import { field } from '../web/forms.ts';
import { formatDate } from '../calendar/format.ts';
import * as plans from './service.ts';
import { supportPage } from './support-page.ts';
import { FormBody, IdParams, FormField } from '../web/schemas.ts';

const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');

const GoalFields = { goal: FormField, steps: FormField, whoDoesWhat: FormField, reviewDate: FormField };
const ProgressForm = FormBody({ progress: FormField, note: FormField });

// The plan is the person's: it speaks to them, not in the statuses staff work with.
const PLAN_SERVICE_WORDING: Record<string, string> = {
  signposted: 'Details to contact them yourself',
  sent: 'We have asked them to get in touch with you',
  accepted: 'They have agreed to see you',
  attending: 'You are going',
};
const PLAN_GOAL_WORDING: Record<string, string> = { not_started: 'not started yet', in_progress: 'under way', achieved: 'done' };

async function printablePlan(pool: import('pg').Pool, actor: Actor, referralId: string) {
  const plan = await plans.planForReferral(pool, actor, referralId);
  const services = [];
  for (const o of plan.onward.filter((x) => ['signposted', 'sent', 'accepted', 'attending'].includes(x.status))) {
    services.push({
      name: o.serviceName,
      organisation: o.organisationName,
      status: o.kind === 'signpost' ? 'Details to contact them yourself' : PLAN_SERVICE_WORDING[o.status],
      ...(await plans.serviceWhenAndWhere(pool, o.serviceId)),
    });
  }
  const r = plan.episode.referral;
  const goals = plan.goals.filter((g) => g.progress !== 'no_longer_relevant');
  const sections = [
    {
      heading: 'My goals',
      lines: goals.length
        ? goals.flatMap((g) => [
            `${g.goal} (${PLAN_GOAL_WORDING[g.progress] ?? plans.progressLabel(g.progress)})`,
            ...(g.steps ? [`  Steps: ${g.steps}`] : []),
            ...(g.whoDoesWhat ? [`  Who does what: ${g.whoDoesWhat}`] : []),
            ...(g.reviewDate ? [`  We will look at this again on ${formatDate(g.reviewDate)}`] : []),
          ])
        : ['No goals written yet.'],
    },
    {
      heading: 'Services for me',
      lines: services.length
        ? services.flatMap((s) => [
            `${s.name}${s.organisation ? `, ${s.organisation}` : ''}: ${s.status}`,
            `  When: ${s.when}`,
            `  Where: ${s.where}`,
            ...(s.contact ? [`  Contact: ${s.contact}`] : []),
          ])
        : ['No services yet.'],
    },
    { heading: 'My link worker', lines: [`${r.assignedToName ?? 'Your link worker'}`, `Your reference: ${r.reference}`] },
  ];
  return { r, goals, services, sections };
}

export const planRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  recordPage(app, '/referrals/:referralId/support', {
    policy: staff,
    query: ['done'],
    page: (req, reply, referralId) => supportPage(pool, reply, signedIn(req), referralId, firstVisit(), field(req.query, 'done')),
  });

  formStep(app, '/referrals/:referralId/goals', {
    policy: staff,
    oncePerForm: true,
    body: GoalFields,
    page: (req, reply, referralId, form) => supportPage(pool, reply, signedIn(req), referralId, form),
    field: 'goal',
    act: (actor, referralId, body, req) =>
      plans.addGoal(
        pool,
        actor,
        referralId,
        {
          goal: field(body, 'goal'),
          steps: field(body, 'steps'),
          whoDoesWhat: field(body, 'whoDoesWhat'),
          reviewDate: field(body, 'reviewDate'),
        },
        ctx(req),
      ),
    next: (referralId) => `/referrals/${referralId}/support?done=goal#plan`,
  });

  app.post(
    '/goals/:goalId/progress',
    { schema: { params: IdParams('goalId'), body: ProgressForm }, config: { policy: staff, oncePerForm: true } },
    async (req, reply) => {
      const actor = signedIn(req);
      const { goalId } = req.params;
      const { referralId } = await plans.updateGoalProgress(
        pool,
        actor,
        goalId,
        { progress: field(req.body, 'progress'), note: field(req.body, 'note') },
        ctx(req),
      );
      return reply.redirect(`/referrals/${referralId}/support?done=progress#plan`, 303);
    },
  );

  recordPage(app, '/referrals/:referralId/plan', {
    policy: staff,
    page: async (req, reply, referralId) =>
      view(reply, 200, 'plans/views/printable-plan.njk', await printablePlan(pool, signedIn(req), referralId)),
  });

  recordPage(app, '/referrals/:referralId/plan.pdf', {
    policy: staff,
    page: async (req, reply, referralId) => {
      const plan = await printablePlan(pool, signedIn(req), referralId);
      const pdf = await sectionsPdf(`My plan: ${plan.r.givenName} ${plan.r.familyName}`, plan.sections);
      return sendFile(reply, { type: 'application/pdf', disposition: 'inline', name: `plan-${plan.r.reference}.pdf` }, pdf);
    },
  });

  app.get('/follow-ups', { config: { policy: staff } }, async (req, reply) => {
    const today = plans.isoDate(new Date());
    const rows = await plans.myFollowUps(pool, signedIn(req), today);
    return view(reply, 200, 'plans/views/follow-ups.njk', {
      rows: rows.map((r) => ({ ...r, dueText: formatDate(r.due) })),
      overdue: rows.filter((r) => r.overdue).length,
    });
  });
};
