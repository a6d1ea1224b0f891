import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { hasRole } from '../identity/actor.ts';
import { rolePolicy } from '../identity/policy.ts';
import { asFieldErrors, ctx, signedIn, view } from '../plans/form.ts';
import * as service from './service.ts';

const readers = rolePolicy('lead, commissioner or researcher', ...service.READERS);
const leads = rolePolicy('lead', 'lead');

const text = Type.Optional(Type.String({ maxLength: 100 }));
const ReportQuery = Type.Object({ practice: text, from: text, to: text, requested: Type.Optional(Type.Literal('1')) });

/** Aggregate reports for leads, commissioners and researchers: no names, no small numbers. */
export const reportingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  app.get('/reports', { schema: { querystring: ReportQuery }, config: { policy: readers } }, async (req, reply) => {
    const actor = signedIn(req);
    const { requested, ...query } = req.query;
    const page = { values: query, canRefresh: hasRole(actor, 'lead'), requested: requested === '1', smallText: service.SMALL_TEXT, secondaryText: service.SECONDARY_TEXT };
    try {
      const report = await service.reportDashboard(pool, actor, query, new Date(), ctx(req));
      const csvQuery = new URLSearchParams({ from: report.filter.from, to: report.filter.to, ...(report.filter.practiceId ? { practice: report.filter.practiceId } : {}) });
      return view(reply, 200, 'reporting/views/dashboard.njk', {
        ...page, report, csvHref: `/reports/summary.csv?${csvQuery.toString()}`,
        values: { practice: report.filter.practiceId ?? '', from: report.filter.from, to: report.filter.to },
        practiceItems: practiceItems(report.practices, report.filter.practiceId ?? ''),
      });
    } catch (error) {
      const shown = asFieldErrors(error);
      if (!shown) throw error;
      const practices = await service.reportPractices(pool, actor);
      return view(reply, shown.status, 'reporting/views/dashboard.njk', { ...page, practiceItems: practiceItems(practices, query.practice ?? '') }, shown.errors);
    }
  });

  app.get('/reports/summary.csv', { schema: { querystring: ReportQuery }, config: { policy: readers } }, async (req, reply) => {
    const { requested: _requested, ...query } = req.query;
    const report = await service.reportDashboard(pool, signedIn(req), query, new Date(), { ...ctx(req), download: true });
    return reply.type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="signpost-referrals-${report.filter.from}-to-${report.filter.to}.csv"`)
      .header('cache-control', 'no-store')
      .send(service.reportCsv(report));
  });

  app.post('/reports/refresh', { config: { policy: leads } }, async (req, reply) => {
    await service.requestRefresh(pool, signedIn(req), ctx(req));
    return reply.redirect('/reports?requested=1', 303);
  });
};

function practiceItems(practices: { id: string; name: string }[], selected: string) {
  return [{ value: '', text: 'All practices', selected: selected === '' }, ...practices.map((p) => ({ value: p.id, text: p.name, selected: p.id === selected }))];
}
