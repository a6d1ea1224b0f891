import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { loadEpisode } from '../assessment/service.ts';
import type { Actor } from '../identity/actor.ts';
import { rolePolicy } from '../identity/policy.ts';
import { asFieldErrors, bodyValues, ctx, field, formatDate, signedIn, view } from '../plans/form.ts';
import type { FieldError } from '../web/errors.ts';
import { describeGpRecordStatus, gpRecordStatus } from '../interop/mesh/service.ts';
import * as service from './service.ts';

const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');
const readers = rolePolicy('referrer, link worker or lead', 'referrer', 'link_worker', 'lead');
const referrers = rolePolicy('referrer', 'referrer');

/** Outcome measures offered on the form; any other measure can be typed in the last row. */
const OUTCOME_ROWS = 3;

export const dischargeRoutes: FastifyPluginAsync = async (app) => {
  const pool = app.database.pool;

  const formPage = async (reply: FastifyReply, actor: Actor, referralId: string, status: number, values: Record<string, unknown>, errors: FieldError[] = []) => {
    const episode = await loadEpisode(pool, actor, referralId);
    return view(reply, status, 'discharge/views/discharge.njk', {
      r: episode.referral, values,
      reasonItems: service.DISCHARGE_REASONS.map((x) => ({ value: x.code, text: x.label, checked: values.reason === x.code })),
      outcomeRows: Array.from({ length: OUTCOME_ROWS }, (_, i) => i),
    }, errors);
  };

  app.get('/referrals/:referralId/discharge', { config: { policy: staff } }, async (req, reply) => {
    const { referralId } = req.params as { referralId: string };
    return formPage(reply, signedIn(req), referralId, 200, { outcomeMeasure0: 'ONS4 life satisfaction (0 to 10)' });
  });

  app.post('/referrals/:referralId/discharge', { config: { policy: staff, oncePerForm: true } }, async (req, reply) => {
    const actor = signedIn(req);
    const { referralId } = req.params as { referralId: string };
    const body = req.body;
    let id: string;
    try {
      id = await service.dischargeReferral(pool, actor, referralId, {
        reason: field(body, 'reason'), summary: field(body, 'summary'),
        outcomes: Array.from({ length: OUTCOME_ROWS }, (_, i) => ({ measure: field(body, `outcomeMeasure${i}`), before: field(body, `outcomeBefore${i}`), after: field(body, `outcomeAfter${i}`) })),
      }, ctx(req));
    } catch (error) {
      const shown = asFieldErrors(error, 'reason');
      if (!shown) throw error;
      return formPage(reply, actor, referralId, shown.status, bodyValues(body), shown.errors);
    }
    return reply.redirect(`/discharge-summaries/${id}`, 303);
  });

  app.get('/discharge-summaries/:dischargeId', { config: { policy: readers } }, async (req, reply) => {
    const { dischargeId } = req.params as { dischargeId: string };
    const discharge = await service.getDischargeSummary(pool, signedIn(req), dischargeId, ctx(req));
    const gpRecordView = describeGpRecordStatus(await gpRecordStatus(pool, signedIn(req), discharge.referralId));
    return view(reply, 200, 'discharge/views/summary.njk', { d: discharge, doc: discharge.document, sections: service.documentSections(discharge.document), date: formatDate(discharge.dischargedAt), gpRecordView });
  });

  app.get('/discharge-summaries/:dischargeId/pdf', { config: { policy: readers } }, async (req, reply) => {
    const { dischargeId } = req.params as { dischargeId: string };
    const discharge = await service.getDischargeSummary(pool, signedIn(req), dischargeId, ctx(req));
    const pdf = await service.dischargePdf(discharge.document);
    return reply.type('application/pdf').header('content-disposition', `inline; filename="discharge-${discharge.document.referral.reference}.pdf"`).header('cache-control', 'no-store').send(pdf);
  });

  app.get('/my-referrals/discharge-summaries', { config: { policy: referrers } }, async (req, reply) => {
    const rows = await service.referrerDischarges(pool, signedIn(req), ctx(req));
    return view(reply, 200, 'discharge/views/list.njk', { rows: rows.map((d) => ({ ...d, date: formatDate(d.dischargedAt), name: d.document.demographics.name })) });
  });
};
