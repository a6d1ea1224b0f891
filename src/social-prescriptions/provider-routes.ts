import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { rolePolicy } from '../identity/policy.ts';
import { ctx, firstVisit, formStep, pageLinks, recordPage, signedIn, view, type RecordPage } from '../web/pages.ts';
import { field } from '../web/forms.ts';
import { formatDate } from '../calendar/format.ts';
import { InvalidInput } from '../web/errors.ts';
import { TextQuery, FormField } from '../web/schemas.ts';
import { DECLINE_REASONS, ONWARD_LABELS, ONWARD_TRANSITIONS, STOP_REASONS, type SharedDetails } from './service.ts';
import * as service from './service.ts';

const providers = rolePolicy('provider', 'provider');

/** Exactly what the link worker shared: name and contact always, the rest only when ticked. */
function sharedRows(s: SharedDetails) {
  const rows = [
    { key: { text: 'Name' }, value: { text: s.preferredName ? `${s.name} (prefers ${s.preferredName})` : s.name } },
    { key: { text: 'Date of birth' }, value: { text: formatDate(s.dateOfBirth) } },
    { key: { text: 'Phone' }, value: { text: s.phone ?? 'Not given' } },
    { key: { text: 'Email' }, value: { text: s.email ?? 'Not given' } },
    { key: { text: 'Safe to leave a message' }, value: { text: s.safeToLeaveMessage ? 'Yes' : 'No' } },
  ];
  if (s.needs) rows.push({ key: { text: 'Needs' }, value: { text: s.needs.map((n) => n.label).join(', ') || 'None recorded' } });
  return rows;
}

/** The provider's side: the inbox of referrals sent to their organisation, and their responses. */
export const providerInboxRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  app.get('/provider/inbox', { schema: { querystring: TextQuery('closedPage') }, config: { policy: providers } }, async (req, reply) => {
    const raw = field(req.query, 'closedPage');
    if (raw && !/^\d{1,5}$/.test(raw))
      throw new InvalidInput([{ field: 'closedPage', message: 'That page of closed referrals does not exist' }]);
    const { groups, closed } = await service.providerInbox(pool, signedIn(req), { closedPage: raw ? Number(raw) : 1, ...ctx(req) });
    return view(reply, 200, 'social-prescriptions/views/inbox.njk', {
      groups: groups.map((g) => ({
        ...g,
        rows: g.rows.map((o) => ({
          id: o.id,
          name: o.shared.name,
          serviceName: o.serviceName,
          sent: formatDate(o.sentAt),
          statusLabel: ONWARD_LABELS[o.status],
        })),
      })),
      closedPages:
        closed.pages > 1 ? pageLinks(closed.page, closed.pages, (page) => `/provider/inbox?closedPage=${page}#closed`) : undefined,
    });
  });

  const detailPage: RecordPage = async (req, reply, onwardId, form) => {
    const { status, errors } = form ?? firstVisit();
    const notice = form ? '' : field(req.query, 'done');
    const o = await service.providerReferral(pool, signedIn(req), onwardId);
    const next = ONWARD_TRANSITIONS[o.status];
    return view(
      reply,
      status,
      'social-prescriptions/views/provider-referral.njk',
      {
        o,
        s: o.shared,
        notice,
        sharedRows: sharedRows(o.shared),
        sent: formatDate(o.sentAt),
        statusLabel: ONWARD_LABELS[o.status],
        canRespond: o.status === 'sent',
        canAttend: ['accepted', 'attending'].includes(o.status),
        closeItems: next
          .filter((x) => ['completed', 'did_not_attend', 'stopped'].includes(x))
          .map((x) => ({ value: x, text: ONWARD_LABELS[x] })),
        declineItems: [{ value: '', text: 'Select a reason' }, ...DECLINE_REASONS.map((r) => ({ value: r.code, text: r.label }))],
        stopItems: [{ value: '', text: 'Only if stopping' }, ...STOP_REASONS.map((r) => ({ value: r.code, text: r.label }))],
        attendance: o.attendance.map((a) =>
          a.sessionDate
            ? `${formatDate(a.sessionDate)}: ${a.attended ? 'attended' : 'did not attend'}`
            : `${a.sessionsAttended} of ${a.sessionsOffered} sessions attended`,
        ),
        history: o.history.map((h) => ({ ...h, when: formatDate(h.occurredAt), label: ONWARD_LABELS[h.toStatus] })),
      },
      errors,
    );
  };

  recordPage(app, '/provider/referrals/:onwardId', { policy: providers, query: ['done'], page: detailPage });

  formStep(app, '/provider/referrals/:onwardId/respond', {
    policy: providers,
    body: { to: FormField, reason: FormField, detail: FormField, firstSessionDate: FormField },
    page: detailPage,
    field: 'to',
    act: (actor, onwardId, body, req) =>
      service.providerRespond(
        pool,
        actor,
        onwardId,
        {
          to: field(body, 'to'),
          reason: field(body, 'reason'),
          detail: field(body, 'detail'),
          firstSessionDate: field(body, 'firstSessionDate') || null,
        },
        ctx(req),
      ),
    next: (onwardId) => `/provider/referrals/${onwardId}?done=response`,
  });

  formStep(app, '/provider/referrals/:onwardId/attendance', {
    policy: providers,
    oncePerForm: true,
    body: { sessionDate: FormField, attended: FormField, sessionsAttended: FormField, sessionsOffered: FormField, note: FormField },
    page: detailPage,
    field: 'attended',
    act: (actor, onwardId, body, req) => {
      const count = (name: string) => {
        const v = field(body, name);
        return /^\d{1,3}$/.test(v) ? Number(v) : null;
      };
      const attended = field(body, 'attended');
      return service.providerAttendance(
        pool,
        actor,
        onwardId,
        {
          sessionDate: field(body, 'sessionDate') || null,
          attended: attended === 'yes' ? true : attended === 'no' ? false : null,
          sessionsAttended: count('sessionsAttended'),
          sessionsOffered: count('sessionsOffered'),
          note: field(body, 'note'),
        },
        ctx(req),
      );
    },
    next: (onwardId) => `/provider/referrals/${onwardId}?done=attendance`,
  });
};
