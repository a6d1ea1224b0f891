import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { assessmentsForReferral, concernsForPeople } from '../assessment/service.ts';
import { NEEDS, findNeed } from '../directory/needs.ts';
import { DELIVERY_METHODS, DISTANCE_CHOICES_MILES } from '../directory/service.ts';
import type { Actor } from '../identity/actor.ts';
import { rolePolicy } from '../identity/policy.ts';
import { dischargeOfReferral } from '../discharge/service.ts';
import { getPerson } from '../people/service.ts';
import { InvalidInput, type FieldError } from '../web/errors.ts';
import { asFieldErrors, bodyValues, ctx, field, fields, formatDate, signedIn, view } from './form.ts';
import { sectionsPdf } from '../discharge/pdf.ts';
import * as plans from './service.ts';

const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');

/** The picker's default radius and page size: a page of choices a link worker can read through. */
const PICKER_MILES = 10;
const PICKER_PAGE_SIZE = 10;

const DELIVERY_TEXT: Record<string, string> = {
  signpost: 'Through Signpost',
  email: 'By secure email',
  print: 'On paper',
  signposted: 'Details given to the person',
};

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

export const planRoutes: FastifyPluginAsync = async (app) => {
  const pool = app.database.pool;

  const supportPage = async (
    reply: FastifyReply,
    actor: Actor,
    referralId: string,
    status: number,
    notice: string,
    values: Record<string, unknown> = {},
    errors: FieldError[] = [],
  ) => {
    const plan = await plans.planForReferral(pool, actor, referralId);
    const r = plan.episode.referral;
    const [assessment] = await assessmentsForReferral(pool, actor, referralId);
    const concerns = await concernsForPeople(pool, actor, [r.personId]);
    const discharge = await dischargeOfReferral(pool, actor, referralId);
    return view(
      reply,
      status,
      'plans/views/support.njk',
      {
        r,
        notice,
        values,
        discharge,
        working: ['in_contact', 'assessed', 'active_plan'].includes(r.status),
        openConcerns: concerns.filter((c) => !c.actionedAt).map((c) => ({ ...c, raised: formatDate(c.raisedAt) })),
        closedConcerns: concerns
          .filter((c) => c.actionedAt)
          .map((c) => ({ ...c, raised: formatDate(c.raisedAt), actioned: formatDate(c.actionedAt) })),
        assessment: assessment && {
          ...assessment,
          assessed: formatDate(assessment.assessedAt),
          needsText: assessment.needs
            .filter((n) => n.rating !== 'none')
            .map((n) => findNeed(n.need)?.label ?? n.need)
            .join(', '),
          needs: assessment.needs
            .filter((n) => n.rating !== 'none')
            .map((n) => ({ ...n, label: findNeed(n.need)?.label ?? n.need, ratingLabel: n.rating === 'high' ? 'High need' : 'Some need' })),
        },
        goals: plan.goals.map((g) => ({
          ...g,
          review: formatDate(g.reviewDate),
          progressLabel: plans.progressLabel(g.progress),
          progressItems: plans.GOAL_PROGRESS.map((p) => ({ value: p.code, text: p.label, selected: p.code === g.progress })),
          history: g.history.map((h) => ({ ...h, when: formatDate(h.occurredAt), label: plans.progressLabel(h.toProgress) })),
        })),
        onward: plan.onward.map((o) => ({
          ...o,
          statusLabel: plans.ONWARD_LABELS[o.status],
          deliveryText: DELIVERY_TEXT[o.delivery],
          sent: formatDate(o.sentAt ?? o.createdAt),
          attendanceText: o.attendance
            .map((a) =>
              a.sessionDate
                ? `${formatDate(a.sessionDate)}: ${a.attended ? 'attended' : 'did not attend'}`
                : `${a.sessionsAttended} of ${a.sessionsOffered} sessions attended`,
            )
            .join('; '),
          handRecorded: o.delivery !== 'signpost' && o.kind === 'refer',
          nextItems: plans.ONWARD_TRANSITIONS[o.status]
            .filter((s) => o.delivery !== 'signpost' || s === 'stopped')
            .map((s) => ({ value: s, text: plans.ONWARD_LABELS[s] })),
          open: plans.OPEN_ONWARD.includes(o.status),
          reasonItems: [
            { value: '', text: 'Not needed' },
            ...[...(o.delivery !== 'signpost' ? plans.DECLINE_REASONS : []), ...plans.STOP_REASONS]
              .filter((x, i, all) => all.findIndex((y) => y.code === x.code) === i)
              .map((x) => ({ value: x.code, text: x.label })),
          ],
          history: o.transitions.map((t) => ({ ...t, when: formatDate(t.occurredAt), label: plans.ONWARD_LABELS[t.toStatus] })),
        })),
      },
      errors,
    );
  };

  app.get('/referrals/:referralId/support', { config: { policy: staff } }, async (req, reply) => {
    const { referralId } = req.params as { referralId: string };
    return supportPage(reply, signedIn(req), referralId, 200, field(req.query, 'done'));
  });

  app.post('/referrals/:referralId/goals', { config: { policy: staff, oncePerForm: true } }, async (req, reply) => {
    const actor = signedIn(req);
    const { referralId } = req.params as { referralId: string };
    try {
      await plans.addGoal(
        pool,
        actor,
        referralId,
        {
          goal: field(req.body, 'goal'),
          steps: field(req.body, 'steps'),
          whoDoesWhat: field(req.body, 'whoDoesWhat'),
          reviewDate: field(req.body, 'reviewDate'),
        },
        ctx(req),
      );
    } catch (error) {
      const shown = asFieldErrors(error, 'goal');
      if (!shown) throw error;
      return supportPage(reply, actor, referralId, shown.status, '', bodyValues(req.body), shown.errors);
    }
    return reply.redirect(`/referrals/${referralId}/support?done=goal#plan`, 303);
  });

  app.post('/goals/:goalId/progress', { config: { policy: staff, oncePerForm: true } }, async (req, reply) => {
    const actor = signedIn(req);
    const { goalId } = req.params as { goalId: string };
    const { referralId } = await plans.updateGoalProgress(
      pool,
      actor,
      goalId,
      { progress: field(req.body, 'progress'), note: field(req.body, 'note') },
      ctx(req),
    );
    return reply.redirect(`/referrals/${referralId}/support?done=progress#plan`, 303);
  });

  app.get('/referrals/:referralId/plan', { config: { policy: staff } }, async (req, reply) => {
    const { referralId } = req.params as { referralId: string };
    const plan = await printablePlan(pool, signedIn(req), referralId);
    return view(reply, 200, 'plans/views/printable-plan.njk', plan);
  });

  app.get('/referrals/:referralId/plan.pdf', { config: { policy: staff } }, async (req, reply) => {
    const { referralId } = req.params as { referralId: string };
    const plan = await printablePlan(pool, signedIn(req), referralId);
    const pdf = await sectionsPdf(`My plan: ${plan.r.givenName} ${plan.r.familyName}`, plan.sections);
    return reply
      .type('application/pdf')
      .header('content-disposition', `inline; filename="plan-${plan.r.reference}.pdf"`)
      .header('cache-control', 'no-store')
      .send(pdf);
  });

  /** The search as the picker asks it: from the search form's query, or carried through a post. */
  const pickerSearch = (source: unknown, fallbackNeed: string, fallbackPostcode: string) => {
    const searched = !!source && typeof source === 'object' && Object.hasOwn(source, 'need');
    const milesText = field(source, 'miles');
    const pageText = field(source, 'page');
    return {
      q: field(source, 'q'),
      need: searched ? field(source, 'need') : fallbackNeed,
      postcode: searched ? field(source, 'postcode') : fallbackPostcode,
      miles: (DISTANCE_CHOICES_MILES as readonly number[]).includes(Number(milesText)) ? Number(milesText) : PICKER_MILES,
      method: field(source, 'method'),
      page: /^\d{1,4}$/.test(pageText) && Number(pageText) > 0 ? Number(pageText) : 1,
    };
  };

  const onwardPage = async (
    reply: FastifyReply,
    actor: Actor,
    referralId: string,
    source: unknown,
    status: number,
    values: Record<string, unknown>,
    errors: FieldError[] = [],
  ) => {
    const plan = await plans.planForReferral(pool, actor, referralId);
    const r = plan.episode.referral;
    const { person } = await getPerson(pool, actor, r.personId);
    const search = pickerSearch(source, r.reasons[0] ?? '', person.postcode ?? '');
    let found: Awaited<ReturnType<typeof plans.findServicesToRefer>> | undefined;
    const searchErrors: FieldError[] = [];
    try {
      found = await plans.findServicesToRefer(pool, actor, {
        q: search.q || undefined,
        need: search.need || undefined,
        postcode: search.postcode || undefined,
        miles: search.miles,
        delivery: search.method || undefined,
        page: search.page,
        pageSize: PICKER_PAGE_SIZE,
        freshnessMonths: app.config.directoryFreshnessMonths,
      });
    } catch (error) {
      const shown = asFieldErrors(error, 'q');
      if (!shown) throw error;
      searchErrors.push(...shown.errors.map((e) => ({ ...e, field: e.field === 'delivery' ? 'method' : e.field })));
    }
    const chosen = String(values.serviceId ?? '');
    const pageHref = (page: number) =>
      `/referrals/${r.id}/onward/new?${new URLSearchParams({ q: search.q, need: search.need, postcode: search.postcode, miles: String(search.miles), method: search.method, page: String(page) })}#results`;
    const confirming = errors.some((e) => e.field === 'confirmCapacity') || values.confirmCapacity === 'yes';
    return view(
      reply,
      status || (searchErrors.length ? 400 : 200),
      'plans/views/onward.njk',
      {
        r,
        values,
        search,
        found,
        confirming,
        needItems: [
          { value: '', text: 'Any need' },
          ...NEEDS.map((n) => ({ value: n.code, text: n.label, selected: n.code === search.need })),
        ],
        milesItems: DISTANCE_CHOICES_MILES.map((m) => ({
          value: String(m),
          text: `Within ${m} mile${m === 1 ? '' : 's'}`,
          selected: m === search.miles,
        })),
        methodItems: [
          { value: '', text: 'Any way' },
          ...DELIVERY_METHODS.map((d) => ({ value: d.code, text: d.label, selected: d.code === search.method })),
        ],
        choices: (found?.choices ?? []).map((s) => ({
          ...s,
          checked: s.id === chosen,
          where: s.where ?? `${s.deliveryMethods.filter((m) => m !== 'In person').join(' or ') || 'Phone or online'}: no address`,
          distance: s.distanceMiles !== null ? `${s.distanceMiles} miles away` : null,
          capacityText:
            s.capacity === 'waiting_list' && s.expectedWaitWeeks
              ? `${s.capacityLabel}: about ${s.expectedWaitWeeks} week${s.expectedWaitWeeks === 1 ? '' : 's'}`
              : s.capacityLabel,
          warn: plans.needsCapacityConfirmation(s.capacity),
          verified: s.lastVerifiedAt ? `Last checked ${formatDate(s.lastVerifiedAt)}` : 'Never checked',
          routeText: plans.ROUTE_TEXT[s.route],
        })),
        pages:
          found && found.pageCount > 1
            ? {
                previous:
                  found.page > 1
                    ? { href: pageHref(found.page - 1), labelText: `Page ${found.page - 1} of ${found.pageCount}` }
                    : undefined,
                next:
                  found.page < found.pageCount
                    ? { href: pageHref(found.page + 1), labelText: `Page ${found.page + 1} of ${found.pageCount}` }
                    : undefined,
              }
            : undefined,
        kindItems: [
          { value: 'refer', text: 'Refer: send the person’s details to the service', checked: values.kind === 'refer' },
          { value: 'signpost', text: 'Signpost: give the person the details to contact them', checked: values.kind === 'signpost' },
        ],
        shareItems: plans.SHARE_FIELDS.map((f) => ({ value: f.code, text: f.label, checked: fields(values, 'share').includes(f.code) })),
        deliveryItems: [
          { value: 'email', text: 'By secure email to the service', checked: values.delivery === 'email' },
          { value: 'print', text: 'Print it to post or hand over', checked: values.delivery === 'print' },
        ],
      },
      [...searchErrors, ...errors],
    );
  };

  app.get('/referrals/:referralId/onward/new', { config: { policy: staff } }, async (req, reply) => {
    const { referralId } = req.params as { referralId: string };
    return onwardPage(reply, signedIn(req), referralId, req.query, 0, {});
  });

  app.post('/referrals/:referralId/onward', { config: { policy: staff, oncePerForm: true } }, async (req, reply) => {
    const actor = signedIn(req);
    const { referralId } = req.params as { referralId: string };
    const body = req.body;
    try {
      if (!field(body, 'serviceId')) {
        throw new InvalidInput([{ field: 'serviceId', message: 'Select a service' }]);
      }
      const result = await plans.createOnwardReferral(
        pool,
        actor,
        referralId,
        {
          kind: field(body, 'kind'),
          serviceId: field(body, 'serviceId'),
          need: field(body, 'need') || null,
          share: fields(body, 'share'),
          consent: field(body, 'consent') === 'yes',
          note: field(body, 'note'),
          delivery: field(body, 'delivery') || null,
          confirmCapacity: field(body, 'confirmCapacity') === 'yes',
        },
        ctx(req),
      );
      if (result.delivery === 'print') return reply.redirect(`/onward-referrals/${result.id}/letter`, 303);
      return reply.redirect(
        `/referrals/${referralId}/support?done=${result.status === 'signposted' ? 'signposted' : 'sent'}#prescriptions`,
        303,
      );
    } catch (error) {
      const shown = asFieldErrors(error, 'serviceId');
      if (!shown) throw error;
      return onwardPage(reply, actor, referralId, body, shown.status, bodyValues(body), shown.errors);
    }
  });

  app.post('/onward-referrals/:onwardId/response', { config: { policy: staff } }, async (req, reply) => {
    const actor = signedIn(req);
    const { onwardId } = req.params as { onwardId: string };
    const onward = await plans.getOnward(pool, actor, onwardId);
    try {
      await plans.recordOnwardResponse(
        pool,
        actor,
        onwardId,
        { to: field(req.body, 'to'), reason: field(req.body, 'reason'), detail: field(req.body, 'detail') },
        ctx(req),
      );
    } catch (error) {
      const shown = asFieldErrors(error, 'to');
      if (!shown) throw error;
      return supportPage(
        reply,
        actor,
        onward.referralId,
        shown.status,
        '',
        {},
        shown.errors.map((e) => ({ ...e, field: `${e.field}-${onwardId}` })),
      );
    }
    return reply.redirect(`/referrals/${onward.referralId}/support?done=response#prescriptions`, 303);
  });

  app.post('/onward-referrals/:onwardId/follow-up', { config: { policy: staff, oncePerForm: true } }, async (req, reply) => {
    const actor = signedIn(req);
    const { onwardId } = req.params as { onwardId: string };
    const onward = await plans.getOnward(pool, actor, onwardId);
    try {
      await plans.recordFollowUp(pool, actor, onwardId, field(req.body, 'answer'), ctx(req));
    } catch (error) {
      const shown = asFieldErrors(error, 'answer');
      if (!shown) throw error;
      return supportPage(
        reply,
        actor,
        onward.referralId,
        shown.status,
        '',
        {},
        shown.errors.map((e) => ({ ...e, field: `${e.field}-${onwardId}` })),
      );
    }
    return reply.redirect(`/referrals/${onward.referralId}/support?done=follow-up#prescriptions`, 303);
  });

  app.get('/onward-referrals/:onwardId/letter', { config: { policy: staff } }, async (req, reply) => {
    const onward = await plans.getOnward(pool, signedIn(req), (req.params as { onwardId: string }).onwardId);
    if (onward.kind !== 'refer') return reply.redirect(`/referrals/${onward.referralId}/support`, 303);
    return view(reply, 200, 'plans/views/letter.njk', { o: onward, s: onward.shared, sent: formatDate(onward.sentAt) });
  });

  app.get('/follow-ups', { config: { policy: staff } }, async (req, reply) => {
    const today = plans.isoDate(new Date());
    const rows = await plans.myFollowUps(pool, signedIn(req), today);
    return view(reply, 200, 'plans/views/follow-ups.njk', {
      rows: rows.map((r) => ({ ...r, dueText: formatDate(r.due) })),
      overdue: rows.filter((r) => r.overdue).length,
    });
  });

  app.get('/responses', { config: { policy: staff } }, async (req, reply) => {
    const rows = await plans.responsesPage(pool, signedIn(req), new Date(), ctx(req));
    return view(reply, 200, 'plans/views/responses.njk', {
      newCount: rows.filter((t) => t.isNew).length,
      rows: rows.map((t) => ({
        ...t,
        when: formatDate(t.occurredAt),
        label: plans.ONWARD_LABELS[t.toStatus],
        by: t.byDescription ?? t.byUserName,
      })),
    });
  });
};
