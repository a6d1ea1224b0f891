import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { anySignedIn } from '../identity/policy.ts';
import { ctx, signedIn, view } from '../web/pages.ts';
import { formatDate } from '../calendar/format.ts';
import { ONWARD_LABELS } from '../social-prescriptions/service.ts';
import { needLabel, statusTag, urgencyTag } from '../referrals/present.ts';
import { describeWhen, APPOINTMENT_MODES } from '../appointments/service.ts';
import { navigationFor } from '../web/navigation.ts';
import { homeFor } from './service.ts';

/** The staff home page: each role's work at a glance, the first page after sign-in. */
export const homeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  app.get('/home', { config: { policy: anySignedIn } }, async (req, reply) => {
    const actor = signedIn(req);
    const home = await homeFor(pool, actor, new Date(), ctx(req));
    const lw = home.linkWorker;
    const lead = home.lead;
    const referrer = home.referrer;
    const provider = home.provider;
    return view(reply, 200, 'home/views/home.njk', {
      linkWorker: lw && {
        allocations: {
          total: lw.allocations.total,
          rows: lw.allocations.rows.map((r) => ({
            ...r,
            urgencyTag: urgencyTag(r.urgency),
            allocated: formatDate(r.allocatedAt),
            reasonsText: r.reasons.map(needLabel).join(', '),
          })),
        },
        overdueFollowUps: {
          total: lw.overdueFollowUps.total,
          rows: lw.overdueFollowUps.rows.map((f) => ({ ...f, dueText: formatDate(f.due) })),
        },
        responses: lw.responses.map((t) => ({ ...t, when: formatDate(t.occurredAt), label: ONWARD_LABELS[t.toStatus] })),
        appointmentsToday: lw.appointmentsToday.map((a) => ({ ...a, time: describeWhen(a.startsAt).time, how: APPOINTMENT_MODES[a.mode] })),
      },
      lead: lead && {
        triage: lead.triage,
        caseloads: lead.caseloads,
        safeguarding: {
          total: lead.safeguarding.total,
          rows: lead.safeguarding.rows.map((c) => ({ ...c, raised: formatDate(c.raisedAt) })),
        },
      },
      referrer: referrer && {
        recent: {
          total: referrer.recent.total,
          rows: referrer.recent.rows.map((r) => ({ ...r, statusTag: statusTag(r.status), received: formatDate(r.receivedAt) })),
        },
        summaries: referrer.summaries.map((d) => ({
          id: d.id,
          reference: d.reference,
          name: d.document.demographics.name,
          date: formatDate(d.dischargedAt),
        })),
      },
      provider: provider && {
        total: provider.total,
        rows: provider.rows.map((o) => ({ id: o.id, name: o.shared.name, serviceName: o.serviceName, sent: formatDate(o.sentAt) })),
      },
      // Roles without a work list of their own (admin, curator, commissioner, researcher) get their links.
      links: navigationFor(actor).filter((item) => item.href !== '/services' && item.href !== '/home'),
    });
  });
};
