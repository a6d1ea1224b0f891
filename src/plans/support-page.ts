import type { FastifyReply } from 'fastify';
import type pg from 'pg';
import { assessmentsForReferral, concernsForPeople } from '../assessment/service.ts';
import { findNeed } from '../vocabulary/needs.ts';
import { dischargeOfReferral } from '../discharge/service.ts';
import type { Actor } from '../identity/actor.ts';
import * as prescriptions from '../social-prescriptions/service.ts';
import { firstVisit, view, type FormState } from '../web/pages.ts';
import { formatDate } from '../calendar/format.ts';
import { GOAL_PROGRESS, planForReferral, progressLabel } from './service.ts';

const DELIVERY_TEXT: Record<string, string> = {
  signpost: 'Through Signpost',
  email: 'By secure email',
  print: 'On paper',
  signposted: 'Details given to the person',
};

/**
 * The support page: assessment, safeguarding, goals and social prescriptions of one episode. The
 * plan's forms and the social prescriptions' forms both re-show it with their errors.
 */
export async function supportPage(
  pool: pg.Pool,
  reply: FastifyReply,
  actor: Actor,
  referralId: string,
  { status, values, errors }: FormState = firstVisit(),
  notice = '',
) {
  const plan = await planForReferral(pool, actor, referralId);
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
        progressLabel: progressLabel(g.progress),
        progressItems: GOAL_PROGRESS.map((p) => ({ value: p.code, text: p.label, selected: p.code === g.progress })),
        history: g.history.map((h) => ({ ...h, when: formatDate(h.occurredAt), label: progressLabel(h.toProgress) })),
      })),
      onward: plan.onward.map((o) => ({
        ...o,
        statusLabel: prescriptions.ONWARD_LABELS[o.status],
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
        nextItems: prescriptions.ONWARD_TRANSITIONS[o.status]
          .filter((s) => o.delivery !== 'signpost' || s === 'stopped')
          .map((s) => ({ value: s, text: prescriptions.ONWARD_LABELS[s] })),
        open: prescriptions.OPEN_ONWARD.includes(o.status),
        reasonItems: [
          { value: '', text: 'Not needed' },
          ...[...(o.delivery !== 'signpost' ? prescriptions.DECLINE_REASONS : []), ...prescriptions.STOP_REASONS]
            .filter((x, i, all) => all.findIndex((y) => y.code === x.code) === i)
            .map((x) => ({ value: x.code, text: x.label })),
        ],
        history: o.transitions.map((t) => ({ ...t, when: formatDate(t.occurredAt), label: prescriptions.ONWARD_LABELS[t.toStatus] })),
      })),
    },
    errors,
  );
}
