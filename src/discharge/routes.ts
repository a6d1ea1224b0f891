import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { rolePolicy } from '../identity/policy.ts';
import { attempt, ctx, firstVisit, formStep, recordPage, sendFile, signedIn, view, type RecordPage } from '../web/pages.ts';
import { InvalidInput } from '../web/errors.ts';
import { bodyValues, field } from '../web/forms.ts';
import { formatDate } from '../calendar/format.ts';
import { IdParams, FormField } from '../web/schemas.ts';
import { describeGpRecordStatus, gpRecordStatus } from '../interop/mesh/service.ts';
import * as service from './service.ts';

const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');
const readers = rolePolicy('referrer, link worker or lead', 'referrer', 'link_worker', 'lead');
const referrers = rolePolicy('referrer', 'referrer');

/** Outcome rows a form may carry: every instrument's lines recorded, and a few typed in. */
const MAX_OUTCOME_ROWS = 12;
const ONWARD_CHOICE = /^onward-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const DischargeParams = IdParams('dischargeId');
// The choice for each referral to a service still open comes as `onward-<its id>`, read by readAnswers.
const DischargeFields = {
  reason: FormField,
  summary: FormField,
  reasonNote: FormField,
  checked: FormField,
  ...Object.fromEntries(
    Array.from({ length: MAX_OUTCOME_ROWS }, (_, i) => [
      [`outcomeMeasure${i}`, FormField],
      [`outcomeBefore${i}`, FormField],
      [`outcomeAfter${i}`, FormField],
    ]).flat(),
  ),
};

/** The answers on the discharge form, read through the one way in for form fields. */
function readAnswers(body: unknown): service.DischargeInput {
  const keys = body && typeof body === 'object' ? Object.keys(body) : [];
  const rows = Array.from({ length: MAX_OUTCOME_ROWS }, (_, i) => i).filter((i) => keys.includes(`outcomeMeasure${i}`));
  return {
    reason: field(body, 'reason'),
    summary: field(body, 'summary'),
    reasonNote: field(body, 'reasonNote'),
    outcomes: rows.map((i) => ({
      measure: field(body, `outcomeMeasure${i}`),
      before: field(body, `outcomeBefore${i}`),
      after: field(body, `outcomeAfter${i}`),
    })),
    onward: Object.fromEntries(keys.filter((k) => ONWARD_CHOICE.test(k)).map((k) => [k.slice('onward-'.length), field(body, k)])),
  };
}

/** The answers as hidden fields, so the check page can send or change them without storing a draft. */
function hiddenFields(input: service.DischargeInput) {
  return [
    { name: 'reason', value: input.reason },
    { name: 'summary', value: input.summary },
    { name: 'reasonNote', value: input.reasonNote ?? '' },
    ...(input.outcomes ?? []).flatMap((o, i) => [
      { name: `outcomeMeasure${i}`, value: o.measure },
      { name: `outcomeBefore${i}`, value: String(o.before ?? '') },
      { name: `outcomeAfter${i}`, value: String(o.after ?? '') },
    ]),
    ...Object.entries(input.onward ?? {}).map(([id, choice]) => ({ name: `onward-${id}`, value: choice })),
  ];
}

export const dischargeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  const formPage: RecordPage = async (req, reply, referralId, form) => {
    const record = await service.dischargeRecord(pool, signedIn(req), referralId);
    // First visit: the outcome rows are what was recorded, and one empty row for a measure taken elsewhere.
    const shown: Record<string, unknown> =
      form?.values ??
      Object.fromEntries(
        record.outcomes.flatMap((o, i) => [
          [`outcomeMeasure${i}`, o.measure],
          [`outcomeBefore${i}`, o.before === null ? '' : String(o.before)],
          [`outcomeAfter${i}`, o.after === null ? '' : String(o.after)],
        ]),
      );
    const filled = Array.from({ length: MAX_OUTCOME_ROWS }, (_, i) => i).filter(
      (i) => `outcomeMeasure${i}` in shown && String(shown[`outcomeMeasure${i}`] ?? '') !== '',
    );
    const rowCount = Math.min(MAX_OUTCOME_ROWS, (filled.length ? Math.max(...filled) + 1 : 0) + 1);
    const goalsText = record.goals
      ? `${record.achieved} of ${record.goals} goal${record.goals === 1 ? '' : 's'} achieved`
      : 'no goals recorded';
    const attendedText = record.attended
      ? `attendance at ${record.attended} service${record.attended === 1 ? '' : 's'}`
      : 'no attendance at a service';
    return view(
      reply,
      form?.status ?? 200,
      'discharge/views/discharge.njk',
      {
        r: record.referral,
        values: shown,
        recorded: record.outcomes.length,
        recordText: `The record shows ${goalsText} and ${attendedText}.`,
        reasonItems: service.DISCHARGE_REASONS.map((x) => ({ value: x.code, text: x.label, checked: shown.reason === x.code })),
        pending: record.pending.map((o) => ({
          ...o,
          name: `onward-${o.id}`,
          items: [
            { value: 'stop', text: 'Stop it now: support is ending', checked: shown[`onward-${o.id}`] === 'stop' },
            { value: 'keep', text: 'Leave it open: the person carries on with the service', checked: shown[`onward-${o.id}`] === 'keep' },
          ],
        })),
        outcomeRows: Array.from({ length: rowCount }, (_, i) => i),
      },
      form?.errors,
    );
  };

  const checkPage: RecordPage = async (req, reply, referralId) => {
    const input = readAnswers(req.body);
    const preview = await attempt(() => service.previewDischarge(pool, signedIn(req), referralId, input), {
      field: 'reason',
      values: bodyValues(req.body),
    });
    if (!preview.ok) return formPage(req, reply, referralId, preview.form);
    const document = preview.value;
    const reason = service.DISCHARGE_REASONS.find((x) => x.code === input.reason)!;
    return view(reply, 200, 'discharge/views/check.njk', {
      r: { id: referralId },
      doc: document,
      letterhead: service.documentLetterhead(document),
      sections: service.documentSections(document),
      hidden: hiddenFields(input),
      reason: reason.label,
    });
  };

  recordPage(app, '/referrals/:referralId/discharge', { policy: staff, page: formPage });

  recordPage(app, '/referrals/:referralId/discharge/check', { policy: staff, body: DischargeFields, page: checkPage });

  recordPage(app, '/referrals/:referralId/discharge/change', {
    policy: staff,
    body: DischargeFields,
    page: (req, reply, referralId) => formPage(req, reply, referralId, firstVisit(bodyValues(req.body))),
  });

  formStep(app, '/referrals/:referralId/discharge', {
    policy: staff,
    oncePerForm: true,
    body: DischargeFields,
    page: formPage,
    field: 'reason',
    act: async (actor, referralId, body, req) => {
      // The summary goes only from the check page, where the link worker has read it as the GP will.
      if (field(body, 'checked') !== 'yes') {
        throw new InvalidInput([
          { field: 'reason', message: 'Check the summary before you send it: select Continue, then read it through' },
        ]);
      }
      return service.dischargeReferral(pool, actor, referralId, readAnswers(body), ctx(req));
    },
    next: (_referralId, dischargeId) => `/discharge-summaries/${dischargeId}`,
  });

  app.get('/discharge-summaries/:dischargeId', { schema: { params: DischargeParams }, config: { policy: readers } }, async (req, reply) => {
    const { dischargeId } = req.params;
    const discharge = await service.getDischargeSummary(pool, signedIn(req), dischargeId, ctx(req));
    const gpRecordView = describeGpRecordStatus(await gpRecordStatus(pool, signedIn(req), discharge.referralId));
    return view(reply, 200, 'discharge/views/summary.njk', {
      d: discharge,
      doc: discharge.document,
      letterhead: service.documentLetterhead(discharge.document),
      sections: service.documentSections(discharge.document),
      date: formatDate(discharge.dischargedAt),
      gpRecordView,
    });
  });

  app.get(
    '/discharge-summaries/:dischargeId/pdf',
    { schema: { params: DischargeParams }, config: { policy: readers } },
    async (req, reply) => {
      const { dischargeId } = req.params;
      const discharge = await service.getDischargeSummary(pool, signedIn(req), dischargeId, ctx(req));
      const pdf = await service.dischargePdf(discharge.document);
      return sendFile(
        reply,
        { type: 'application/pdf', disposition: 'inline', name: `discharge-${discharge.document.referral.reference}.pdf` },
        pdf,
      );
    },
  );

  app.get('/my-referrals/discharge-summaries', { config: { policy: referrers } }, async (req, reply) => {
    const rows = await service.referrerDischarges(pool, signedIn(req), ctx(req));
    return view(reply, 200, 'discharge/views/list.njk', {
      rows: rows.map((d) => ({ ...d, date: formatDate(d.dischargedAt), name: d.document.demographics.name })),
    });
  });
};
