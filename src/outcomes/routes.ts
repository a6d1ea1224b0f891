import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { publicAccess, rolePolicy } from '../identity/policy.ts';
import { attempt, ctx, firstVisit, formErrors, recordPage, signedIn, view, type FormState } from '../web/pages.ts';
import { bodyValues, field } from '../web/forms.ts';
import { formatDate } from '../calendar/format.ts';
import type { FieldError } from '../web/errors.ts';
import { FormBody, IdParams, TextQuery, FormField } from '../web/schemas.ts';
import {
  INSTRUMENT_CODES,
  INSTRUMENTS,
  TIMEPOINT_LABELS,
  TIMEPOINTS,
  isInstrumentCode,
  type InstrumentCode,
  type Timepoint,
} from './instruments.ts';
import { formatChange } from './scoring.ts';
import * as outcomes from './service.ts';
import { outcomeCharts } from './charts.ts';

const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');

const ReferralParams = IdParams('referralId');
/** The person's link: its token is the key, checked against its hash (an unknown one is a 404 page). */
const LinkParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) });
// The answers come as `item-<question id>`; "change" re-opens the questions from the check page.
const AnswersForm = FormBody({
  instrument: FormField,
  timepoint: FormField,
  change: FormField,
  ...Object.fromEntries(INSTRUMENT_CODES.flatMap((code) => INSTRUMENTS[code].items.map((item) => [`item-${item.id}`, FormField] as const))),
});

/** Like /refer-yourself: the public link pages are limited per address, so tokens cannot be guessed at speed. */
export const OUTCOME_LINK_RATE_LIMIT = { max: 30, timeWindow: '1 hour' };

const MODE_TEXT = { with_link_worker: 'With link worker', self_completed: 'Self-completed online' } as const;
const LINK_CHANNEL_TEXT = { email: 'email', sms: 'text message' } as const;

type Values = Record<string, unknown>;

function answersOf(body: unknown): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const [key, value] of Object.entries(bodyValues(body)))
    if (key.startsWith('item-') && typeof value === 'string') answers[key] = value;
  return answers;
}

/** The radios for each question, with the person's answers and any errors. */
function questionItems(instrument: InstrumentCode, values: Values, fieldErrors: Record<string, string>) {
  return INSTRUMENTS[instrument].items.map((item, n) => ({
    id: `item-${item.id}`,
    number: n + 1,
    text: item.text,
    inline: instrument === 'ons4',
    error: fieldErrors[`item-${item.id}`],
    options: item.options.map((o) => ({
      value: String(o.value),
      text: o.label,
      checked: String(values[`item-${item.id}`] ?? '') === String(o.value),
    })),
  }));
}

function choiceItems(values: Values) {
  return {
    instrumentItems: INSTRUMENT_CODES.map((code) => ({
      value: code,
      text: INSTRUMENTS[code].name,
      checked: values.instrument === code,
      hint: { text: INSTRUMENTS[code].scoring },
    })),
    timepointItems: TIMEPOINTS.map((t) => ({ value: t, text: TIMEPOINT_LABELS[t], checked: values.timepoint === t })),
  };
}

export const outcomeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  // A refused post draws the page without the notices its address may carry.
  const listPage = async (req: FastifyRequest, reply: FastifyReply, referralId: string, form?: FormState, linkValues: Values = {}) => {
    const { status, values, errors } = form ?? firstVisit();
    const query = form ? {} : req.query;
    const page = await outcomes.outcomesForReferral(pool, signedIn(req), referralId, { requestId: req.id });
    const saved = page.administrations.find((a) => a.id === field(query, 'saved'));
    const now = Date.now();
    const groups = INSTRUMENT_CODES.map((code) => ({
      code,
      name: INSTRUMENTS[code].name,
      shortName: INSTRUMENTS[code].shortName,
      scoring: INSTRUMENTS[code].scoring,
      rows: page.administrations
        .filter((a) => a.instrument === code)
        .map((a) => ({
          id: a.id,
          timepoint: TIMEPOINT_LABELS[a.timepoint],
          when: formatDate(a.completedAt),
          score: outcomes.scoreText(a),
          how:
            a.mode === 'self_completed'
              ? MODE_TEXT.self_completed
              : `${MODE_TEXT.with_link_worker}${a.completedByName ? ` (${a.completedByName})` : ''}`,
          change:
            a.timepoint === 'baseline'
              ? 'Baseline'
              : a.changes.length === 0
                ? 'No baseline'
                : a.changes
                    .map(
                      (c) =>
                        `${code === 'ons4' ? `${outcomes.ONS4_SHORT[c.itemId ?? ''] ?? c.measure}: ` : ''}${c.from} to ${c.to}, ${formatChange(c.change)}${c.direction === 'same' ? '' : ` (${c.direction})`}`,
                    )
                    .join('; '),
        })),
      charts: outcomeCharts(page.administrations)
        .filter((c) => c.instrument === code)
        .map((c) => c.chart),
    })).filter((g) => g.rows.length > 0);
    const linkErrors = errors.filter((e) => e.field.startsWith('link-'));
    return view(
      reply,
      status,
      'outcomes/views/outcomes.njk',
      {
        r: page.referral,
        groups,
        canRecord: page.canRecord,
        canSendLink: page.canSendLink,
        discharged: page.status === 'discharged',
        values,
        linkValues,
        ...choiceItems(values),
        link: choiceItems(linkValues),
        saved: saved && {
          measure: `${INSTRUMENTS[saved.instrument].shortName} ${TIMEPOINT_LABELS[saved.timepoint].toLowerCase()}`,
          score: outcomes.scoreText(saved),
        },
        sent:
          field(query, 'sent') === 'email' || field(query, 'sent') === 'sms'
            ? LINK_CHANNEL_TEXT[field(query, 'sent') as 'email' | 'sms']
            : '',
        links: page.links.map((l) => ({
          sent: formatDate(l.createdAt),
          measure: `${INSTRUMENTS[l.instrument].shortName} ${TIMEPOINT_LABELS[l.timepoint].toLowerCase()}`,
          channel: LINK_CHANNEL_TEXT[l.channel],
          by: l.sentByName ?? '',
          state: l.usedAt
            ? `Completed ${formatDate(l.usedAt)}`
            : l.expiresAt.getTime() <= now
              ? 'Expired'
              : `Waiting, open until ${formatDate(l.expiresAt)}`,
        })),
        linkFieldErrors: formErrors(linkErrors).fieldErrors,
      },
      errors,
    );
  };

  const questionsPage = (
    reply: FastifyReply,
    status: number,
    data: {
      r?: unknown;
      instrument: InstrumentCode;
      timepoint: Timepoint;
      action: string;
      publicPage: boolean;
      values: Values;
      errors: FieldError[];
      serviceName?: string;
    },
  ) => {
    const { fieldErrors } = formErrors(data.errors);
    const def = INSTRUMENTS[data.instrument];
    return view(
      reply,
      status,
      'outcomes/views/questions.njk',
      {
        ...data,
        name: def.name,
        shortName: def.shortName,
        instruction: def.instruction,
        licence:
          data.instrument === 'swemwbs'
            ? 'SWEMWBS © NHS Health Scotland, University of Warwick and University of Edinburgh, 2008, all rights reserved.'
            : '',
        timepointLabel: TIMEPOINT_LABELS[data.timepoint],
        questions: questionItems(data.instrument, data.values, fieldErrors),
      },
      data.errors,
    );
  };

  recordPage(app, '/referrals/:referralId/outcomes', { policy: staff, query: ['saved', 'sent'], page: listPage });

  app.get(
    '/referrals/:referralId/outcomes/new',
    { schema: { params: ReferralParams, querystring: TextQuery('instrument', 'timepoint') }, config: { policy: staff } },
    async (req, reply) => {
      const actor = signedIn(req);
      const { referralId } = req.params;
      const values = { instrument: field(req.query, 'instrument'), timepoint: field(req.query, 'timepoint') };
      const started = await attempt(() => outcomes.startAdministration(pool, actor, referralId, values, ctx(req)), {
        field: 'instrument',
        values,
      });
      if (!started.ok) return listPage(req, reply, referralId, started.form);
      return questionsPage(reply, 200, {
        r: started.value.referral,
        ...started.value.choice,
        action: `/referrals/${referralId}/outcomes/check`,
        publicPage: false,
        values: {},
        errors: [],
      });
    },
  );

  // Check answers: scores them without saving; "change" re-opens the questions with the answers kept.
  app.post(
    '/referrals/:referralId/outcomes/check',
    { schema: { params: ReferralParams, body: AnswersForm }, config: { policy: staff } },
    async (req, reply) => {
      const actor = signedIn(req);
      const { referralId } = req.params;
      const values = bodyValues(req.body);
      const input = { instrument: field(req.body, 'instrument'), timepoint: field(req.body, 'timepoint'), answers: answersOf(req.body) };
      const start = await attempt(() => outcomes.startAdministration(pool, actor, referralId, input, ctx(req)), {
        field: 'instrument',
        values: { instrument: input.instrument, timepoint: input.timepoint },
      });
      if (!start.ok) return listPage(req, reply, referralId, start.form);
      const started = start.value;
      const questions = {
        r: started.referral,
        ...started.choice,
        action: `/referrals/${referralId}/outcomes/check`,
        publicPage: false,
        values,
      };
      if (field(req.body, 'change')) return questionsPage(reply, 200, { ...questions, errors: [] });
      const checked = await attempt(async () => outcomes.checkAnswers(started.choice.instrument, input.answers), { field: 'form' });
      if (!checked.ok) return questionsPage(reply, checked.form.status, { ...questions, errors: checked.form.errors });
      const { answers, score } = checked.value;
      const def = INSTRUMENTS[started.choice.instrument];
      return view(reply, 200, 'outcomes/views/check.njk', {
        r: started.referral,
        ...started.choice,
        name: def.name,
        shortName: def.shortName,
        timepointLabel: TIMEPOINT_LABELS[started.choice.timepoint],
        rows: def.items.map((item, n) => ({
          key: { text: `${n + 1}. ${item.text}` },
          value: { text: item.options.find((o) => o.value === answers[item.id])?.label ?? '' },
        })),
        scoreText: outcomes.scoreText({ instrument: started.choice.instrument, score, answers }),
        hidden: Object.entries(input.answers).filter(([key]) => def.items.some((i) => `item-${i.id}` === key)),
      });
    },
  );

  app.post(
    '/referrals/:referralId/outcomes',
    { schema: { params: ReferralParams, body: AnswersForm }, config: { policy: staff, oncePerForm: true } },
    async (req, reply) => {
      const actor = signedIn(req);
      const { referralId } = req.params;
      const input = { instrument: field(req.body, 'instrument'), timepoint: field(req.body, 'timepoint'), answers: answersOf(req.body) };
      const saved = await attempt(() => outcomes.recordAdministration(pool, actor, referralId, input, ctx(req)), {
        field: 'instrument',
        values: { instrument: input.instrument, timepoint: input.timepoint },
      });
      if (saved.ok) return reply.redirect(`/referrals/${referralId}/outcomes?saved=${saved.value.id}#saved`, 303);
      const { status, errors } = saved.form;
      // Only the answers were wrong: back to the questions, answers kept.
      if (status === 400 && isInstrumentCode(input.instrument) && errors.every((e) => e.field.startsWith('item-') || e.field === 'form')) {
        const { referral } = await outcomes.startAdministration(pool, actor, referralId, input, ctx(req));
        return questionsPage(reply, 400, {
          r: referral,
          instrument: input.instrument,
          timepoint: input.timepoint as Timepoint,
          action: `/referrals/${referralId}/outcomes/check`,
          publicPage: false,
          values: bodyValues(req.body),
          errors,
        });
      }
      return listPage(req, reply, referralId, saved.form);
    },
  );

  app.post(
    '/referrals/:referralId/outcome-links',
    {
      schema: { params: ReferralParams, body: FormBody({ instrument: FormField, timepoint: FormField }) },
      config: { policy: staff, oncePerForm: true },
    },
    async (req, reply) => {
      const actor = signedIn(req);
      const { referralId } = req.params;
      const input = { instrument: field(req.body, 'instrument'), timepoint: field(req.body, 'timepoint') };
      const sent = await attempt(
        () => outcomes.sendOutcomeLink(pool, actor, referralId, input, { ...ctx(req), baseUrl: app.config.baseUrl }),
        { field: 'instrument' },
      );
      if (sent.ok) return reply.redirect(`/referrals/${referralId}/outcomes?sent=${sent.value.channel}#links`, 303);
      const errors = sent.form.errors.map((e) => ({ ...e, field: `link-${e.field}` }));
      return listPage(req, reply, referralId, { ...sent.form, errors }, input);
    },
  );

  // -------------------------------------------------------------------------------------------
  // The person's own page, reached from the link in their email or text message. No sign-in:
  // the token is the only key, and a used, expired or unknown token says nothing about anyone.

  // The token is a credential in the path, so these routes write no request logs (which carry the
  // path); only warnings and errors are logged.
  const quiet = 'warn';

  const gonePage = (reply: FastifyReply, state: 'unknown' | 'used' | 'expired') =>
    reply
      .code(state === 'unknown' ? 404 : 410)
      .header('cache-control', 'no-store')
      .view('outcomes/views/link-gone.njk', { state });

  app.get(
    '/outcomes/complete/:token',
    { schema: { params: LinkParams }, logLevel: quiet, config: { policy: publicAccess, rateLimit: OUTCOME_LINK_RATE_LIMIT } },
    async (req, reply) => {
      const { token } = req.params;
      const link = await outcomes.openOutcomeLink(pool, token);
      if (link.state !== 'open') return gonePage(reply, link.state);
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      return questionsPage(reply, 200, {
        instrument: link.instrument,
        timepoint: link.timepoint,
        action: `/outcomes/complete/${token}`,
        publicPage: true,
        values: {},
        errors: [],
        serviceName: link.serviceName,
      });
    },
  );

  app.post(
    '/outcomes/complete/:token',
    {
      schema: { params: LinkParams, body: AnswersForm },
      logLevel: quiet,
      config: { policy: publicAccess, rateLimit: OUTCOME_LINK_RATE_LIMIT },
    },
    async (req, reply) => {
      const { token } = req.params;
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      const completed = await attempt(() => outcomes.completeOutcomeLink(pool, token, answersOf(req.body), ctx(req)), { field: 'form' });
      if (completed.ok) {
        const done = completed.value;
        if (done.state !== 'open') return gonePage(reply, done.state);
        return reply.view('outcomes/views/thank-you.njk', {
          serviceName: done.serviceName,
          shortName: INSTRUMENTS[done.instrument].shortName,
        });
      }
      const link = await outcomes.openOutcomeLink(pool, token);
      if (link.state !== 'open') return gonePage(reply, link.state);
      return questionsPage(reply, completed.form.status, {
        instrument: link.instrument,
        timepoint: link.timepoint,
        action: `/outcomes/complete/${token}`,
        publicPage: true,
        values: bodyValues(req.body),
        errors: completed.form.errors,
        serviceName: link.serviceName,
      });
    },
  );
};
