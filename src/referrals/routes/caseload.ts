import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { field } from '../../web/forms.ts';
import { TextQuery } from '../../web/schemas.ts';
import { OPEN_STATUSES, STATUS_LABELS } from '../lifecycle.ts';
import * as present from '../present.ts';
import { text } from '../schema.ts';
import * as service from '../service.ts';
import { ctx, render, signedIn, staff } from './pages.ts';
import { filteredPageLinks, selectItems } from '../../web/pages.ts';
import { formatDate } from '../../calendar/format.ts';

/** A link worker's caseload, or a lead's view of everyone's, filtered, sorted and a page at a time. */
export const caseloadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  app.get(
    '/caseload',
    { schema: { querystring: TextQuery('worker', 'status', 'overdue', 'sort', 'page', 'q') }, config: { policy: staff } },
    async (req, reply) => {
      const query = req.query;
      const filter = {
        worker: text(query, 'worker') || undefined,
        status: text(query, 'status') || undefined,
        overdueOnly: text(query, 'overdue') === 'yes',
        sort: text(query, 'sort') || undefined,
        page: /^\d{1,5}$/.test(text(query, 'page')) ? Number(text(query, 'page')) : undefined,
        search: field(query, 'q', { max: service.SEARCH_MAX_LENGTH, label: 'Search' }),
      };
      const result = await service.caseload(pool, signedIn(req), filter, ctx(req));
      return render(reply, 200, 'caseload.njk', {
        ...result,
        filter,
        ...filteredPageLinks(
          '/caseload',
          {
            worker: filter.worker,
            status: filter.status,
            overdue: filter.overdueOnly ? 'yes' : undefined,
            q: filter.search,
            sort: result.sort,
          },
          result,
        ),
        rows: result.rows.map((r) => ({
          ...r,
          statusTag: present.statusTag(r.status),
          urgencyTag: present.urgencyTag(r.urgency),
          due: formatDate(r.nextActionDue),
          lastContact: r.lastContactAt
            ? `${formatDate(r.lastContactAt)} (${r.lastContactOutcome === 'made' ? 'spoke' : 'attempt'})`
            : 'None yet',
          reminders: result.reminders.get(r.id) ?? [],
        })),
        needingAttention: result.reminders.size,
        statusItems: selectItems(
          'Any open status',
          OPEN_STATUSES.map((s) => ({ value: s, text: STATUS_LABELS[s] })),
          result.status,
        ),
        sortItems: [
          ['waiting', 'Longest waiting'],
          ['due', 'Next action due'],
          ['name', 'Name'],
          ['contact', 'Last contact (oldest first)'],
        ].map(([value, label]) => ({ value, text: label, selected: value === result.sort })),
        workerItems: result.isLead
          ? [
              { value: 'all', text: 'Everyone', selected: result.assignedTo === null },
              ...result.workers.map((w) => ({
                value: w.userId,
                text: `${w.name} (${w.openReferrals})`,
                selected: w.userId === result.assignedTo,
              })),
            ]
          : [],
      });
    },
  );
};
