import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as discharge from '../../discharge/service.ts';
import { formatNhsNumber } from '../../people/nhs-number.ts';
import { field } from '../../web/forms.ts';
import { IdParams, TextQuery } from '../../web/schemas.ts';
import { STATUS_LABELS } from '../lifecycle.ts';
import * as present from '../present.ts';
import * as service from '../service.ts';
import { ctx, referrerOnly, render, signedIn } from './pages.ts';
import { filteredPageLinks } from '../../web/pages.ts';
import { formatDate } from '../../calendar/format.ts';

/** The referrer's own referrals: the list, and where each one has got to. */
export const myReferralRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  app.get('/my-referrals', { schema: { querystring: TextQuery('q', 'page') }, config: { policy: referrerOnly } }, async (req, reply) => {
    const search = field(req.query, 'q', { max: service.SEARCH_MAX_LENGTH, label: 'Search' });
    const pageText = field(req.query, 'page', { max: 6, label: 'Page' });
    const result = await service.referrerPage(
      pool,
      signedIn(req),
      { search, page: /^\d{1,5}$/.test(pageText) ? Number(pageText) : 1 },
      ctx(req),
    );
    return render(reply, 200, 'my-referrals.njk', {
      ...result,
      search,
      ...filteredPageLinks('/my-referrals', { q: search }, result),
      rows: result.rows.map((r) => ({
        ...r,
        received: formatDate(r.receivedAt),
        changed: formatDate(r.statusChangedAt),
        statusTag: present.statusTag(r.status),
        born: formatDate(r.dateOfBirth),
      })),
    });
  });

  app.get(
    '/my-referrals/:referralId',
    { schema: { params: IdParams('referralId') }, config: { policy: referrerOnly } },
    async (req, reply) => {
      const { referralId } = req.params;
      const actor = signedIn(req);
      const { referral: r, transitions } = await service.referralForReferrer(pool, actor, referralId, ctx(req));
      const summary =
        r.status === 'discharged'
          ? (await discharge.referrerDischarges(pool, actor, ctx(req))).find((d) => d.referralId === r.id)
          : undefined;
      return render(reply, 200, 'my-referral.njk', {
        r,
        statusTag: present.statusTag(r.status),
        summaryId: summary?.id,
        rows: [
          { key: { text: 'Name' }, value: { text: `${r.givenName} ${r.familyName}` } },
          { key: { text: 'Date of birth' }, value: { text: formatDate(r.dateOfBirth) } },
          { key: { text: 'NHS number' }, value: { text: r.nhsNumber ? formatNhsNumber(r.nhsNumber) : 'Not given' } },
          {
            key: { text: 'Sent' },
            value: { text: `${formatDate(r.receivedAt)}${r.referrerUserName ? ` by ${r.referrerUserName}` : ''}` },
          },
          { key: { text: 'Reasons' }, value: { text: present.reasonsText(r.reasons) } },
          {
            key: { text: 'Urgency' },
            value: { text: present.labels.URGENCIES[r.urgency as keyof typeof present.labels.URGENCIES] ?? r.urgency },
          },
          { key: { text: 'Link worker' }, value: { text: r.assignedToName ?? 'Not allocated yet' } },
          ...(r.status === 'not_suitable' ? [{ key: { text: 'Redirected to' }, value: { text: r.redirectedTo ?? 'Not recorded' } }] : []),
        ],
        steps: [...transitions].reverse().map((t) => ({ label: STATUS_LABELS[t.toStatus], when: formatDate(t.occurredAt) })),
      });
    },
  );
};
