import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { loadEpisode } from '../assessment/service.ts';
import { NEED_CHOICES } from '../vocabulary/needs.ts';
import { DELIVERY_METHODS, DISTANCE_CHOICES_MILES } from '../directory/service.ts';
import type { Actor } from '../identity/actor.ts';
import { rolePolicy } from '../identity/policy.ts';
import { attempt, ctx, firstVisit, formStep, pageLinks, recordPage, selectItems, signedIn, view, type RecordPage } from '../web/pages.ts';
import { field, fields } from '../web/forms.ts';
import { formatDate } from '../calendar/format.ts';
import { supportPage } from '../plans/support-page.ts';
import { getPerson } from '../people/service.ts';
import { InvalidInput, type FieldError } from '../web/errors.ts';
import { FormBody, IdParams, TextOrList, FormField } from '../web/schemas.ts';
import * as prescriptions from './service.ts';

const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');

/** The picker's default radius and page size: a page of choices a link worker can read through. */
const PICKER_MILES = 10;
const PICKER_PAGE_SIZE = 10;

const OnwardParams = IdParams('onwardId');
const PICKER_QUERY = ['q', 'need', 'postcode', 'miles', 'method', 'page'];
// The referral form carries the picker's search too, so a refused post shows the same results.
const OnwardFields = {
  serviceId: FormField,
  kind: FormField,
  need: FormField,
  share: TextOrList(),
  consent: FormField,
  note: FormField,
  delivery: FormField,
  confirmCapacity: FormField,
  q: FormField,
  postcode: FormField,
  miles: FormField,
  method: FormField,
  page: FormField,
};

/** The link worker's side: choosing a service, referring or signposting, recording responses, the responses page. */
export const socialPrescriptionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  /** The search as the picker asks it: from the search form's query, or carried through a post. */
  const pickerSearch = (source: unknown, fallbackNeed: string, fallbackPostcode: string) => {
    const searched = !!source && typeof source === 'object' && Object.hasOwn(source, 'need');
    const milesText = field(source, 'miles');
    const pageText = field(source, 'page');
    return {
      q: field(source, 'q'),
      need: searched ? field(source, 'need') : fallbackNeed,
      postcode: searched ? field(source, 'postcode') : fallbackPostcode,
      miles: (DISTANCE_CHOICES_MILES as readonly number[]).includes(Number(milesText)) ? Number(milesText) : PICKER_MILES,
      method: field(source, 'method'),
      page: /^\d{1,4}$/.test(pageText) && Number(pageText) > 0 ? Number(pageText) : 1,
    };
  };

  // Drawn first with no status of its own: a search the directory refuses makes it a 400.
  const onwardPage: RecordPage = async (req, reply, referralId, form) => {
    const actor = signedIn(req);
    const { values, errors } = form ?? firstVisit();
    const { referral: r } = await loadEpisode(pool, actor, referralId);
    const { person } = await getPerson(pool, actor, r.personId);
    const search = pickerSearch(form ? req.body : req.query, r.reasons[0] ?? '', person.postcode ?? '');
    let found: Awaited<ReturnType<typeof prescriptions.findServicesToRefer>> | undefined;
    const searchErrors: FieldError[] = [];
    const searched = await attempt(
      () =>
        prescriptions.findServicesToRefer(pool, actor, {
          q: search.q || undefined,
          need: search.need || undefined,
          postcode: search.postcode || undefined,
          miles: search.miles,
          delivery: search.method || undefined,
          page: search.page,
          pageSize: PICKER_PAGE_SIZE,
          freshnessMonths: app.config.directoryFreshnessMonths,
        }),
      { field: 'q' },
    );
    if (searched.ok) found = searched.value;
    else searchErrors.push(...searched.form.errors.map((e) => ({ ...e, field: e.field === 'delivery' ? 'method' : e.field })));
    const chosen = String(values.serviceId ?? '');
    const pageHref = (page: number) =>
      `/referrals/${r.id}/onward/new?${new URLSearchParams({ q: search.q, need: search.need, postcode: search.postcode, miles: String(search.miles), method: search.method, page: String(page) })}#results`;
    const confirming = errors.some((e) => e.field === 'confirmCapacity') || values.confirmCapacity === 'yes';
    return view(
      reply,
      form?.status ?? (searchErrors.length ? 400 : 200),
      'social-prescriptions/views/onward.njk',
      {
        r,
        values,
        search,
        found,
        confirming,
        needItems: selectItems('Any need', NEED_CHOICES, search.need),
        milesItems: DISTANCE_CHOICES_MILES.map((m) => ({
          value: String(m),
          text: `Within ${m} mile${m === 1 ? '' : 's'}`,
          selected: m === search.miles,
        })),
        methodItems: selectItems(
          'Any way',
          DELIVERY_METHODS.map((d) => ({ value: d.code, text: d.label })),
          search.method,
        ),
        choices: (found?.choices ?? []).map((s) => ({
          ...s,
          checked: s.id === chosen,
          where: s.where ?? `${s.deliveryMethods.filter((m) => m !== 'In person').join(' or ') || 'Phone or online'}: no address`,
          distance: s.distanceMiles !== null ? `${s.distanceMiles} miles away` : null,
          capacityText:
            s.capacity === 'waiting_list' && s.expectedWaitWeeks
              ? `${s.capacityLabel}: about ${s.expectedWaitWeeks} week${s.expectedWaitWeeks === 1 ? '' : 's'}`
              : s.capacityLabel,
          warn: prescriptions.needsCapacityConfirmation(s.capacity),
          verified: s.lastVerifiedAt ? `Last checked ${formatDate(s.lastVerifiedAt)}` : 'Never checked',
          routeText: prescriptions.ROUTE_TEXT[s.route],
        })),
        pages: found && found.pageCount > 1 ? pageLinks(found.page, found.pageCount, pageHref) : undefined,
        kindItems: [
          { value: 'refer', text: 'Refer: send the person’s details to the service', checked: values.kind === 'refer' },
          { value: 'signpost', text: 'Signpost: give the person the details to contact them', checked: values.kind === 'signpost' },
        ],
        shareItems: prescriptions.SHARE_FIELDS.map((f) => ({
          value: f.code,
          text: f.label,
          checked: fields(values, 'share').includes(f.code),
        })),
        deliveryItems: [
          { value: 'email', text: 'By secure email to the service', checked: values.delivery === 'email' },
          { value: 'print', text: 'Print it to post or hand over', checked: values.delivery === 'print' },
        ],
      },
      [...searchErrors, ...errors],
    );
  };

  recordPage(app, '/referrals/:referralId/onward/new', { policy: staff, query: PICKER_QUERY, page: onwardPage });

  formStep(app, '/referrals/:referralId/onward', {
    policy: staff,
    oncePerForm: true,
    body: OnwardFields,
    page: onwardPage,
    field: 'serviceId',
    act: async (actor, referralId, body, req) => {
      if (!field(body, 'serviceId')) {
        throw new InvalidInput([{ field: 'serviceId', message: 'Select a service' }]);
      }
      return prescriptions.createOnwardReferral(
        pool,
        actor,
        referralId,
        {
          kind: field(body, 'kind'),
          serviceId: field(body, 'serviceId'),
          need: field(body, 'need') || null,
          share: fields(body, 'share'),
          consent: field(body, 'consent') === 'yes',
          note: field(body, 'note'),
          delivery: field(body, 'delivery') || null,
          confirmCapacity: field(body, 'confirmCapacity') === 'yes',
        },
        ctx(req),
      );
    },
    next: (referralId, created) =>
      created.delivery === 'print'
        ? `/onward-referrals/${created.id}/letter`
        : `/referrals/${referralId}/support?done=${created.status === 'signposted' ? 'signposted' : 'sent'}#prescriptions`,
  });

  /**
   * Records something about one referral to a service, posted from the support page: back to that
   * page when done, or the page again with the refusal beside that referral's form.
   */
  const onwardStep = (
    path: string,
    step: {
      body: Record<string, TSchema>;
      oncePerForm?: true;
      field: string;
      done: string;
      record: (actor: Actor, onwardId: string, body: unknown, req: FastifyRequest) => Promise<unknown>;
    },
  ) =>
    app.post(
      path,
      { schema: { params: OnwardParams, body: FormBody(step.body) }, config: { policy: staff, oncePerForm: step.oncePerForm } },
      async (req, reply) => {
        const actor = signedIn(req);
        const { onwardId } = req.params;
        const onward = await prescriptions.getOnward(pool, actor, onwardId);
        const recorded = await attempt(() => step.record(actor, onwardId, req.body, req), { field: step.field });
        if (!recorded.ok) {
          const errors = recorded.form.errors.map((e) => ({ ...e, field: `${e.field}-${onwardId}` }));
          return supportPage(pool, reply, actor, onward.referralId, { ...recorded.form, errors });
        }
        return reply.redirect(`/referrals/${onward.referralId}/support?done=${step.done}#prescriptions`, 303);
      },
    );

  onwardStep('/onward-referrals/:onwardId/response', {
    body: { to: FormField, reason: FormField, detail: FormField },
    field: 'to',
    done: 'response',
    record: (actor, onwardId, body, req) =>
      prescriptions.recordOnwardResponse(
        pool,
        actor,
        onwardId,
        { to: field(body, 'to'), reason: field(body, 'reason'), detail: field(body, 'detail') },
        ctx(req),
      ),
  });

  onwardStep('/onward-referrals/:onwardId/follow-up', {
    body: { answer: FormField },
    oncePerForm: true,
    field: 'answer',
    done: 'follow-up',
    record: (actor, onwardId, body, req) => prescriptions.recordFollowUp(pool, actor, onwardId, field(body, 'answer'), ctx(req)),
  });

  app.get('/onward-referrals/:onwardId/letter', { schema: { params: OnwardParams }, config: { policy: staff } }, async (req, reply) => {
    const onward = await prescriptions.getOnward(pool, signedIn(req), req.params.onwardId);
    if (onward.kind !== 'refer') return reply.redirect(`/referrals/${onward.referralId}/support`, 303);
    return view(reply, 200, 'social-prescriptions/views/letter.njk', { o: onward, s: onward.shared, sent: formatDate(onward.sentAt) });
  });

  app.get('/responses', { config: { policy: staff } }, async (req, reply) => {
    const rows = await prescriptions.responsesPage(pool, signedIn(req), new Date(), ctx(req));
    return view(reply, 200, 'social-prescriptions/views/responses.njk', {
      newCount: rows.filter((t) => t.isNew).length,
      rows: rows.map((t) => ({
        ...t,
        when: formatDate(t.occurredAt),
        label: prescriptions.ONWARD_LABELS[t.toStatus],
        by: t.byDescription ?? t.byUserName,
      })),
    });
  });
};
