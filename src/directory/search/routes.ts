import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { publicAccess } from '../../identity/policy.ts';
import { InvalidInput } from '../../web/errors.ts';
import {
  checkChangeSuggestion,
  DAY_NAMES,
  DELIVERY_METHODS,
  DISTANCE_CHOICES_MILES,
  getServiceDetail,
  NEEDS,
  searchDirectory,
  suggestChange,
  suggestSearches,
  type DirectorySearchInput,
} from '../service.ts';

const Text = Type.Optional(Type.String({ maxLength: 500 }));

/** The search form's fields; pages ignore unknown parameters (the API does not). */
const SearchQuery = Type.Object({
  q: Text,
  postcode: Text,
  miles: Text,
  need: Text,
  cost: Text,
  day: Text,
  time: Text,
  openNow: Text,
  age: Text,
  wheelchair: Text,
  hearingLoop: Text,
  language: Text,
  delivery: Text,
  page: Text,
});
type SearchQueryValue = Partial<Record<keyof typeof SearchQuery.properties, string>>;

const SuggestionQuery = Type.Object({ q: Text });

const ServiceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

const SuggestionBody = Type.Object({
  kind: Text,
  details: Type.Optional(Type.String({ maxLength: 5000 })),
  replyEmail: Text,
  _csrf: Text,
});

/** Turns the form's strings into a search; values that cannot be read become field errors. */
function readSearch(query: SearchQueryValue): { input: DirectorySearchInput; errors: Array<{ field: string; message: string }> } {
  const errors: Array<{ field: string; message: string }> = [];
  const yes = (value?: string) => value === 'yes';
  const input: DirectorySearchInput = {
    q: query.q?.trim() || undefined,
    postcode: query.postcode?.trim() || undefined,
    need: query.need || undefined,
    cost: query.cost === 'free' || query.cost === 'low' ? query.cost : undefined,
    day: query.day || undefined,
    time: query.time?.trim() || undefined,
    openNow: yes(query.openNow),
    wheelchair: yes(query.wheelchair),
    hearingLoop: yes(query.hearingLoop),
    language: query.language?.trim() || undefined,
    delivery: query.delivery || undefined,
  };
  if (query.cost && !input.cost) errors.push({ field: 'cost', message: 'Select a cost from the list' });
  if (query.miles) {
    const miles = Number(query.miles);
    if (!DISTANCE_CHOICES_MILES.includes(miles as (typeof DISTANCE_CHOICES_MILES)[number]))
      errors.push({ field: 'miles', message: 'Select a distance from the list' });
    else input.miles = miles;
  }
  if (query.age?.trim()) {
    if (!/^\d{1,3}$/.test(query.age.trim())) errors.push({ field: 'age', message: 'Age must be a whole number, like 67' });
    else input.age = Number(query.age.trim());
  }
  if (query.page) {
    if (!/^\d{1,4}$/.test(query.page) || Number(query.page) < 1)
      errors.push({ field: 'page', message: 'That page of results does not exist' });
    else input.page = Number(query.page);
  }
  return { input, errors };
}

function queryString(query: SearchQueryValue, changes: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...query, ...changes })) if (value) params.set(key, value);
  return params.toString();
}

/** Options for the filter form, with the current choices marked. */
function formOptions(query: SearchQueryValue) {
  return {
    needs: [{ value: '', text: 'Any need' }, ...NEEDS.map((n) => ({ value: n.code, text: n.label, selected: query.need === n.code }))],
    miles: DISTANCE_CHOICES_MILES.map((m) => ({
      value: String(m),
      text: `Within ${m} mile${m === 1 ? '' : 's'}`,
      selected: (query.miles ?? '10') === String(m),
    })),
    days: [
      { value: '', text: 'Any day' },
      ...Object.entries(DAY_NAMES).map(([value, text]) => ({ value, text, selected: query.day === value })),
    ],
    costs: [
      { value: '', text: 'Any cost' },
      { value: 'free', text: 'Free', selected: query.cost === 'free' },
      { value: 'low', text: 'Free or low cost (up to £5)', selected: query.cost === 'low' },
    ],
    delivery: [
      { value: '', text: 'Any way' },
      ...DELIVERY_METHODS.map((d) => ({ value: d.code, text: d.label, selected: query.delivery === d.code })),
    ],
  };
}

export const directoryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.database.pool;
  // Public pages that may be a few seconds stale read from the replica when there is one.
  const reads = app.database.reads;
  const months = app.config.directoryFreshnessMonths;
  const map = app.config.mapTiles;
  // Anonymous GETs of these pages carry Cache-Control: public, max-age=60 and an ETag (src/web/http-cache.ts).
  const cached = { policy: publicAccess, publicCache: true };

  async function search(query: SearchQueryValue) {
    const { input, errors } = readSearch(query);
    if (errors.length) throw new InvalidInput(errors);
    return searchDirectory(reads, { ...input, freshnessMonths: months });
  }

  const renderSearch = async (query: SearchQueryValue, view: string) => {
    const hasSearch = Object.entries(query).some(([key, value]) => key !== 'page' && value);
    try {
      const outcome = hasSearch ? await search(query) : undefined;
      const pages =
        outcome && outcome.pageCount > 1
          ? {
              previous:
                outcome.page > 1
                  ? { href: `/services?${queryString(query, { page: String(outcome.page - 1) })}`, labelText: `Page ${outcome.page - 1}` }
                  : undefined,
              next:
                outcome.page < outcome.pageCount
                  ? { href: `/services?${queryString(query, { page: String(outcome.page + 1) })}`, labelText: `Page ${outcome.page + 1}` }
                  : undefined,
            }
          : undefined;
      const activeFilters = ['need', 'cost', 'day', 'time', 'openNow', 'age', 'wheelchair', 'hearingLoop', 'language', 'delivery'].some(
        (key) => query[key as keyof SearchQueryValue],
      );
      const widerMiles = DISTANCE_CHOICES_MILES.find((m) => m > (outcome?.miles ?? 10));
      return {
        status: 200,
        view,
        data: {
          query,
          outcome,
          pages,
          options: formOptions(query),
          activeFilters,
          map,
          printHref: `/services/print?${queryString(query, { page: undefined })}`,
          widenHref:
            outcome?.location && widerMiles ? `/services?${queryString(query, { miles: String(widerMiles), page: undefined })}` : undefined,
          widerMiles,
          dropFiltersHref: `/services?${queryString({ q: query.q, postcode: query.postcode, miles: query.miles }, {})}`,
        },
      };
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      return {
        status: 400,
        view: 'directory/views/search.njk',
        data: {
          query,
          options: formOptions(query),
          errors: error.errors.map((e) => ({ text: e.message, href: `#${e.field}` })),
          fieldErrors: Object.fromEntries(error.errors.map((e) => [e.field, { text: e.message }])),
        },
      };
    }
  };

  app.get('/services', { schema: { querystring: SearchQuery }, config: cached }, async (req, reply) => {
    const page = await renderSearch(req.query, 'directory/views/search.njk');
    return reply.code(page.status).view(page.view, page.data);
  });

  app.get('/services/print', { schema: { querystring: SearchQuery }, config: cached }, async (req, reply) => {
    const page = await renderSearch({ ...req.query, page: undefined }, 'directory/views/print-list.njk');
    return reply.code(page.status).view(page.view, page.data);
  });

  // Suggestions as a person types: a page of links without JavaScript, JSON for the script.
  app.get('/services/suggestions', { schema: { querystring: SuggestionQuery }, config: cached }, async (req, reply) =>
    reply.view('directory/views/suggestions.njk', { q: req.query.q ?? '', suggestions: await suggestSearches(reads, req.query.q ?? '') }),
  );

  app.get('/services/suggestions.json', { schema: { querystring: SuggestionQuery }, config: cached }, async (req) => ({
    suggestions: await suggestSearches(reads, req.query.q ?? ''),
  }));

  app.get('/services/:id', { schema: { params: ServiceParams }, config: cached }, async (req, reply) =>
    reply.view('directory/views/detail.njk', { detail: await getServiceDetail(reads, req.params.id, new Date(), months) }),
  );

  app.get('/services/:id/print', { schema: { params: ServiceParams }, config: cached }, async (req, reply) =>
    reply.view('directory/views/print-detail.njk', { detail: await getServiceDetail(reads, req.params.id, new Date(), months) }),
  );

  app.get('/services/:id/suggest-change', { schema: { params: ServiceParams }, config: { policy: publicAccess } }, async (req, reply) =>
    reply.view('directory/views/suggest.njk', { detail: await getServiceDetail(db, req.params.id, new Date(), months), values: {} }),
  );

  app.post(
    '/services/:id/suggest-change',
    { schema: { params: ServiceParams, body: SuggestionBody }, config: { policy: publicAccess } },
    async (req, reply) => {
      const detail = await getServiceDetail(db, req.params.id, new Date(), months);
      const checked = checkChangeSuggestion(req.body);
      if (!checked.ok) {
        return reply.code(400).view('directory/views/suggest.njk', {
          detail,
          values: req.body,
          errors: checked.errors.map((e) => ({ text: e.message, href: `#${e.field}` })),
          fieldErrors: Object.fromEntries(checked.errors.map((e) => [e.field, { text: e.message }])),
        });
      }
      await suggestChange(db, req.params.id, checked.value);
      return reply.redirect(`/services/${encodeURIComponent(req.params.id)}/suggest-change/sent`, 303);
    },
  );

  app.get(
    '/services/:id/suggest-change/sent',
    { schema: { params: ServiceParams }, config: { policy: publicAccess } },
    async (req, reply) =>
      reply.view('directory/views/suggest-sent.njk', { detail: await getServiceDetail(db, req.params.id, new Date(), months) }),
  );
};
