import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Actor } from '../identity/actor.ts';
import { hasRole } from '../identity/actor.ts';
import { rolePolicy } from '../identity/policy.ts';
import { asFieldErrors, ctx, sendFile, signedIn, view } from '../web/pages.ts';
import * as evidence from './evidence.ts';
import { MEASURE_CODES, MEASURES } from './measures.ts';
import { FormBody, Text, TextQuery } from '../web/schemas.ts';
import * as service from './service.ts';

const readers = rolePolicy('lead, commissioner or researcher', ...service.READERS);
const leads = rolePolicy('lead', 'lead');
const evidenceReaders = rolePolicy('lead or commissioner', ...evidence.EVIDENCE_READERS);

const ReportQuery = Type.Object({ practice: Text(100), from: Text(100), to: Text(100), requested: Type.Optional(Type.Literal('1')) });
const EvidenceQuery = TextQuery('practice', 'from', 'to', 'measure');

/** The evidence pages: one template each, all built by a function of the same shape. */
const EVIDENCE_PAGES = [
  { path: '/reports/outcomes', template: 'reporting/views/outcomes.njk', build: evidence.outcomesReport },
  { path: '/reports/approaches', template: 'reporting/views/approaches.njk', build: evidence.approachesReport },
  { path: '/reports/practices', template: 'reporting/views/practices.njk', build: evidence.practicesReport },
  { path: '/reports/inequalities', template: 'reporting/views/inequalities.njk', build: evidence.inequalitiesReport },
] as const;

const measureItems = (selected: string) =>
  MEASURE_CODES.map((code) => ({ value: code, text: MEASURES[code].label, selected: code === selected }));

/** Aggregate reports for leads, commissioners and researchers: no names, no small numbers. */
export const reportingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;
  // Figures from the read replica when there is one; audit rows and refresh requests on the primary.
  const pools = { pool, reads: app.database.reads };

  /** A filter the checks refuse: the page again with their messages, and the practices to choose from. */
  async function showRefusedFilter(
    reply: FastifyReply,
    actor: Actor,
    error: unknown,
    template: string,
    selectedPractice: string,
    data: Record<string, unknown>,
  ) {
    const shown = asFieldErrors(error);
    if (!shown) throw error;
    const practices = await service.reportPractices(pool, actor);
    return view(reply, shown.status, template, { ...data, practiceItems: practiceItems(practices, selectedPractice) }, shown.errors);
  }

  app.get('/reports', { schema: { querystring: ReportQuery }, config: { policy: readers } }, async (req, reply) => {
    const actor = signedIn(req);
    const { requested, ...query } = req.query;
    const page = {
      values: query,
      canRefresh: hasRole(actor, 'lead'),
      requested: requested === '1',
      smallText: service.SMALL_TEXT,
      secondaryText: service.SECONDARY_TEXT,
    };
    try {
      const report = await service.reportDashboard(pools, actor, query, new Date(), ctx(req));
      const charts = report.refresh ? await evidence.dashboardCharts(pools, actor, report.filter, report.tables) : null;
      const csvQuery = new URLSearchParams({
        from: report.filter.from,
        to: report.filter.to,
        ...(report.filter.practiceId ? { practice: report.filter.practiceId } : {}),
      });
      return view(reply, 200, 'reporting/views/dashboard.njk', {
        ...page,
        report,
        charts,
        showEvidence: hasRole(actor, ...evidence.EVIDENCE_READERS),
        csvHref: `/reports/summary.csv?${csvQuery.toString()}`,
        values: { practice: report.filter.practiceId ?? '', from: report.filter.from, to: report.filter.to },
        practiceItems: practiceItems(report.practices, report.filter.practiceId ?? ''),
      });
    } catch (error) {
      return showRefusedFilter(reply, actor, error, 'reporting/views/dashboard.njk', query.practice ?? '', page);
    }
  });

  for (const page of EVIDENCE_PAGES) {
    app.get(page.path, { schema: { querystring: EvidenceQuery }, config: { policy: evidenceReaders } }, async (req, reply) => {
      const actor = signedIn(req);
      const query = req.query;
      const common = { current: page.path, isLead: hasRole(actor, 'lead') };
      try {
        const report = await page.build(pools, actor, query, new Date(), ctx(req));
        return view(reply, 200, page.template, {
          ...common,
          report,
          figures: report.figures,
          values: {
            practice: report.filter.practiceId ?? '',
            from: report.filter.from,
            to: report.filter.to,
            measure: report.measure.code,
          },
          practiceItems: practiceItems(report.practices, report.filter.practiceId ?? ''),
          measureItems: measureItems(report.measure.code),
        });
      } catch (error) {
        return showRefusedFilter(reply, actor, error, page.template, query.practice ?? '', {
          ...common,
          values: query,
          measureItems: measureItems(query.measure ?? 'swemwbs'),
        });
      }
    });
  }

  app.get('/reports/summary.csv', { schema: { querystring: ReportQuery }, config: { policy: readers } }, async (req, reply) => {
    const { requested: _requested, ...query } = req.query;
    const report = await service.reportDashboard(pools, signedIn(req), query, new Date(), { ...ctx(req), download: true });
    return sendFile(
      reply,
      {
        type: 'text/csv; charset=utf-8',
        disposition: 'attachment',
        name: `signpost-referrals-${report.filter.from}-to-${report.filter.to}.csv`,
      },
      service.reportCsv(report),
    );
  });

  app.post('/reports/refresh', { schema: { body: FormBody({}) }, config: { policy: leads } }, async (req, reply) => {
    await service.requestRefresh(pool, signedIn(req), ctx(req));
    return reply.redirect('/reports?requested=1', 303);
  });
};

function practiceItems(practices: { id: string; name: string }[], selected: string) {
  return [
    { value: '', text: 'All practices', selected: selected === '' },
    ...practices.map((p) => ({ value: p.id, text: p.name, selected: p.id === selected })),
  ];
}
