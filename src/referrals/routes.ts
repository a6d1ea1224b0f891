import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../identity/actor.ts';
import { publicAccess, rolePolicy } from '../identity/policy.ts';
import { DomainError, Forbidden, InvalidInput, NotFound, type FieldError } from '../web/errors.ts';
import * as discharge from '../discharge/service.ts';
import { field, fields, LIMITS } from '../web/forms.ts';
import { ALLOCATED_STATUSES, OPEN_STATUSES, STATUS_LABELS } from './lifecycle.ts';
import { compareDetails } from './matching.ts';
import { formatNhsNumber } from './nhs-number.ts';
import * as present from './present.ts';
import {
  checkConsent,
  checkContact,
  checkPerson,
  checkReferralReason,
  checkVersion,
  list,
  text,
  type PersonInput,
  type ReferralInput,
} from './schema.ts';
import * as service from './service.ts';
import { describeGpRecordStatus, gpRecordStatus } from '../interop/mesh/service.ts';

const staff = rolePolicy('link worker or lead', 'link_worker', 'lead');
const leads = rolePolicy('lead', 'lead');
const referrers = rolePolicy('referrer, link worker or lead', 'referrer', 'link_worker', 'lead');
const referrerOnly = rolePolicy('referrer', 'referrer');

/** Self-referral is public: a honeypot plus these per-address limits keep spam out. */
export const SELF_REFERRAL_RATE_LIMIT = { max: 10, timeWindow: '1 hour' };
const SELF_REFERRAL_CHECK_RATE_LIMIT = { max: 30, timeWindow: '1 hour' };

function signedIn(req: FastifyRequest): Actor {
  if (!req.actor) throw new Forbidden();
  return req.actor;
}

function formErrors(errors: FieldError[]) {
  const fieldErrors: Record<string, string> = {};
  for (const e of errors) fieldErrors[e.field] ??= e.message;
  return {
    errors: errors.map((e) => ({ text: e.message, href: `#${e.field === 'dateOfBirth' ? 'dateOfBirth-day' : e.field}` })),
    fieldErrors,
  };
}

function render(reply: FastifyReply, status: number, view: string, data: Record<string, unknown>, errors: FieldError[] = []) {
  return reply.code(status).view(`referrals/views/${view}`, { ...data, ...formErrors(errors) });
}

/** Form errors a page can re-show: invalid input, or a rule (a stale edit, an illegal step). */
function asFieldErrors(error: unknown, field = 'status'): { status: number; errors: FieldError[] } | undefined {
  if (error instanceof InvalidInput) return { status: 400, errors: error.errors };
  if (error instanceof DomainError && (error.status === 409 || error.status === 400))
    return { status: error.status, errors: [{ field: error.field ?? field, message: error.message }] };
  return undefined;
}

function bodyValues(body: unknown): Record<string, unknown> {
  const values = { ...(body && typeof body === 'object' ? (body as Record<string, unknown>) : {}) };
  delete values._csrf;
  return values;
}

const ctx = (req: FastifyRequest) => ({ requestId: req.id });

type Draft = { person?: Record<string, unknown>; reason?: Record<string, unknown>; consent?: Record<string, unknown> };

/** Staff intake: question pages, check your answers, confirmation. */
const staffIntakeRoutes: FastifyPluginAsync = async (app) => {
  const pool = app.database.pool;

  const personPage = async (
    reply: FastifyReply,
    actor: Actor,
    status: number,
    action: string,
    values: Record<string, unknown>,
    errors: FieldError[] = [],
  ) => {
    const practices = await service.practices(pool, actor);
    return render(
      reply,
      status,
      'person-page.njk',
      { action, values, back: '/', ...present.personFormItems(values, practices), isReferrer: actor.roles.includes('referrer') },
      errors,
    );
  };

  app.get('/referrals/new', { config: { policy: referrers } }, async (req, reply) => {
    const actor = signedIn(req);
    return personPage(reply, actor, 200, '/referrals/new', { practiceId: actor.practiceId ?? '' });
  });

  app.post('/referrals/new', { config: { policy: referrers, oncePerForm: true } }, async (req, reply) => {
    const actor = signedIn(req);
    const values = bodyValues(req.body);
    const checked = checkPerson(values);
    if (!checked.ok) return personPage(reply, actor, 400, '/referrals/new', values, checked.errors);
    const draftId = await service.startDraft(pool, actor, { person: values });
    return reply.redirect(`/referrals/new/${draftId}/reason`, 303);
  });

  const pages = {
    person: { view: 'person-page.njk', check: (v: unknown) => checkPerson(v), next: 'reason' },
    reason: { view: 'reason-page.njk', check: (v: unknown) => checkReferralReason(v), next: 'consent' },
    consent: { view: 'consent-page.njk', check: (v: unknown) => checkConsent(v), next: 'check' },
  } as const;

  for (const [name, page] of Object.entries(pages) as [keyof typeof pages, (typeof pages)[keyof typeof pages]][]) {
    const show = async (
      reply: FastifyReply,
      actor: Actor,
      draftId: string,
      status: number,
      values: Record<string, unknown>,
      errors: FieldError[] = [],
    ) => {
      const action = `/referrals/new/${draftId}/${name}`;
      const extra =
        name === 'person'
          ? present.personFormItems(values, await service.practices(pool, actor))
          : name === 'reason'
            ? present.reasonFormItems(values)
            : {};
      const back = name === 'person' ? '/' : name === 'reason' ? `/referrals/new/${draftId}/person` : `/referrals/new/${draftId}/reason`;
      return render(
        reply,
        status,
        page.view,
        { action, values, back, draftId, ...extra, isReferrer: actor.roles.includes('referrer') },
        errors,
      );
    };
    app.get(`/referrals/new/:draftId/${name}`, { config: { policy: referrers } }, async (req, reply) => {
      const actor = signedIn(req);
      const { draftId } = req.params as { draftId: string };
      const draft = (await service.getDraft(pool, actor, draftId)) as Draft;
      const values = draft[name] ?? (name === 'reason' && actor.roles.includes('referrer') ? { source: 'gp' } : {});
      return show(reply, actor, draftId, 200, values);
    });
    app.post(`/referrals/new/:draftId/${name}`, { config: { policy: referrers } }, async (req, reply) => {
      const actor = signedIn(req);
      const { draftId } = req.params as { draftId: string };
      const draft = (await service.getDraft(pool, actor, draftId)) as Draft;
      const values = bodyValues(req.body);
      const checked = page.check(values);
      if (!checked.ok) return show(reply, actor, draftId, 400, values, checked.errors);
      await service.saveDraft(pool, actor, draftId, { ...draft, [name]: values });
      const complete = { ...draft, [name]: values };
      const next = complete.person && complete.reason && complete.consent ? 'check' : page.next;
      return reply.redirect(`/referrals/new/${draftId}/${next}`, 303);
    });
  }

  /** The draft's answers, checked again; the first page with a problem when any is missing. */
  function draftInput(draft: Draft): { person: PersonInput; referral: ReferralInput } | { missing: string } {
    const person = checkPerson(draft.person ?? {});
    if (!person.ok) return { missing: 'person' };
    const reason = checkReferralReason(draft.reason ?? {});
    if (!reason.ok) return { missing: 'reason' };
    const consent = checkConsent(draft.consent ?? {});
    if (!consent.ok) return { missing: 'consent' };
    return { person: person.value, referral: { ...reason.value, ...consent.value } };
  }

  const showCheck = async (
    reply: FastifyReply,
    actor: Actor,
    draftId: string,
    input: { person: PersonInput; referral: ReferralInput },
    status = 200,
    errors: FieldError[] = [],
    choice = '',
  ) => {
    const { duplicates, mismatch } = await service.checkForExistingRecords(pool, actor, input.person);
    const practices = await service.practices(pool, actor);
    const practiceName = practices.find((p) => p.id === input.person.practiceId)?.name ?? null;
    const base = `/referrals/new/${draftId}`;
    const r = input.referral;
    const referralRows = [
      {
        key: { text: 'Who is referring' },
        value: { text: present.labels.SOURCES[r.source] },
        actions: { items: [{ href: `${base}/reason`, text: 'Change', visuallyHiddenText: 'who is referring' }] },
      },
      { key: { text: 'How it arrived' }, value: { text: present.labels.CHANNELS[r.channel] } },
      {
        key: { text: 'Referrer' },
        value: { text: [r.referrerName ?? actor.name, r.referrerOrganisation, r.referrerEmail].filter(Boolean).join(', ') },
      },
      {
        key: { text: 'Reasons' },
        value: { text: present.reasonsText(r.reasons) },
        actions: { items: [{ href: `${base}/reason`, text: 'Change', visuallyHiddenText: 'reasons' }] },
      },
      { key: { text: 'Context' }, value: { text: r.context ?? 'None given' } },
      { key: { text: 'Urgency' }, value: { text: present.labels.URGENCIES[r.urgency] } },
      {
        key: { text: 'Agreed to the referral' },
        value: { text: r.consentToRefer ? 'Yes' : 'No' },
        actions: { items: [{ href: `${base}/consent`, text: 'Change', visuallyHiddenText: 'consent' }] },
      },
      { key: { text: 'Agreed to share information' }, value: { text: r.consentToShare ? 'Yes' : 'No' } },
      { key: { text: 'Agreed to research use of records' }, value: { text: r.consentToResearch ? 'Yes' : 'No' } },
      { key: { text: 'Known risks' }, value: { text: r.risk ?? 'None known' } },
    ];
    const choiceItems = [
      ...duplicates.map((d) => ({
        value: d.id,
        checked: choice === d.id,
        text: `${d.givenName} ${d.familyName}, born ${present.formatDate(d.dateOfBirth)}`,
        hint: {
          text: [
            d.nhsNumber ? `NHS number ${formatNhsNumber(d.nhsNumber)}` : 'No NHS number',
            d.postcode,
            d.matchedOn === 'nhs_number' ? 'same NHS number' : 'similar name, same date of birth',
          ]
            .filter(Boolean)
            .join(' · '),
        },
      })),
      { value: 'new', text: 'None of these: create a new record', checked: choice === 'new' },
    ];
    return render(
      reply,
      status,
      'check-page.njk',
      {
        draftId,
        personRows: present.personRows(input.person, practiceName, `${base}/person`),
        referralRows,
        duplicates,
        choiceItems,
        mismatch: mismatch && {
          ...mismatch,
          text: present.differencesText(mismatch.differences),
          nhsNumber: formatNhsNumber(input.person.nhsNumber),
        },
      },
      errors,
    );
  };

  app.get('/referrals/new/:draftId/check', { config: { policy: referrers } }, async (req, reply) => {
    const actor = signedIn(req);
    const { draftId } = req.params as { draftId: string };
    const input = draftInput((await service.getDraft(pool, actor, draftId)) as Draft);
    if ('missing' in input) return reply.redirect(`/referrals/new/${draftId}/${input.missing}`, 303);
    return showCheck(reply, actor, draftId, input);
  });

  app.post('/referrals/new/:draftId/check', { config: { policy: referrers, oncePerForm: true } }, async (req, reply) => {
    const actor = signedIn(req);
    const { draftId } = req.params as { draftId: string };
    const input = draftInput((await service.getDraft(pool, actor, draftId)) as Draft);
    if ('missing' in input) return reply.redirect(`/referrals/new/${draftId}/${input.missing}`, 303);
    const { duplicates, mismatch } = await service.checkForExistingRecords(pool, actor, input.person);
    const choice = text(req.body, 'personChoice') || (duplicates.length === 0 && !mismatch ? 'new' : '');
    if (mismatch && choice !== 'unmatched')
      return showCheck(reply, actor, draftId, input, 400, [{ field: 'personChoice', message: service.NHS_NUMBER_MISMATCH_MESSAGE }]);
    if (!choice)
      return showCheck(reply, actor, draftId, input, 400, [
        { field: 'personChoice', message: 'Select the existing record for this person, or create a new one' },
      ]);
    if (!mismatch && choice !== 'new' && !duplicates.some((d) => d.id === choice)) {
      return showCheck(reply, actor, draftId, input, 400, [{ field: 'personChoice', message: 'Select a record from the list' }]);
    }
    try {
      const result = await service.submitDraft(pool, actor, draftId, { ...input, personChoice: choice }, ctx(req));
      return reply.redirect(
        `/referrals/sent?reference=${encodeURIComponent(result.reference)}${choice === 'unmatched' ? '&held=yes' : ''}`,
        303,
      );
    } catch (error) {
      const shown = asFieldErrors(error, 'personChoice');
      if (!shown) throw error;
      return showCheck(reply, actor, draftId, input, shown.status, shown.errors, choice);
    }
  });

  app.get('/referrals/sent', { config: { policy: referrers } }, async (req, reply) => {
    const reference = text(req.query, 'reference');
    if (!/^SP-[0-9A-Z]{8}$/.test(reference)) throw new NotFound('referral');
    const actor = signedIn(req);
    return render(reply, 200, 'confirmation.njk', {
      reference,
      title: 'Referral sent',
      heldForMatching: text(req.query, 'held') === 'yes',
      next: actor.roles.includes('referrer')
        ? { text: 'You can follow its progress in your referrals.', href: '/my-referrals', link: 'View your referrals' }
        : {
            text: 'It is waiting in the triage queue.',
            href: actor.roles.includes('lead') ? '/triage' : '/caseload',
            link: actor.roles.includes('lead') ? 'Go to triage' : 'Go to your caseload',
          },
    });
  });
};

/** The public self-referral: plain English, no account, never says whether a person is known. */
const selfReferralRoutes: FastifyPluginAsync = async (app) => {
  const pool = app.database.pool;

  async function tenant(): Promise<string> {
    const id = await service.selfReferralTenant(pool, app.config.selfReferralTenantId);
    if (!id) throw new NotFound('service');
    return id;
  }

  const showForm = async (reply: FastifyReply, status: number, values: Record<string, unknown>, errors: FieldError[] = []) => {
    // No practice list: the public form shows nothing of any tenant's data.
    return render(
      reply,
      status,
      'self-referral.njk',
      {
        values,
        ...present.personFormItems(values, []),
        ...present.reasonFormItems(values, { public: true }),
      },
      errors,
    );
  };

  function checkAll(values: Record<string, unknown>) {
    const person = checkPerson(values, { requireContact: true });
    const reason = checkReferralReason(values, { public: true });
    const consent = checkConsent(values, { public: true });
    const errors = [...(person.ok ? [] : person.errors), ...(reason.ok ? [] : reason.errors), ...(consent.ok ? [] : consent.errors)];
    if (!person.ok || !reason.ok || !consent.ok) return { errors };
    return { person: person.value, referral: { ...reason.value, ...consent.value } };
  }

  /** The answers the check page carries, as the form posted them; undefined when unreadable. */
  function postedAnswers(body: unknown): Record<string, unknown> | undefined {
    try {
      const values = JSON.parse(text(body, 'answers') || '{}') as unknown;
      return values && typeof values === 'object' && !Array.isArray(values) ? (values as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  // Bots fill every field; people never see this one.
  const isSpam = (values: Record<string, unknown>) => typeof values.website === 'string' && values.website !== '';

  app.get('/refer-yourself', { config: { policy: publicAccess } }, async (_req, reply) => showForm(reply, 200, {}));

  app.post('/refer-yourself', { config: { policy: publicAccess, rateLimit: SELF_REFERRAL_CHECK_RATE_LIMIT } }, async (req, reply) => {
    const values = bodyValues(req.body);
    const checked = checkAll(values);
    if ('errors' in checked) return showForm(reply, 400, values, checked.errors);
    return render(reply, 200, 'self-check.njk', {
      answers: JSON.stringify(values),
      ...present.selfReferralRows(checked.person, checked.referral),
    });
  });

  // "Change" on the check page posts the answers back (no account, so nothing is kept on the
  // server, and no answer goes in an address); the form comes back filled in, at the field.
  app.post(
    '/refer-yourself/change',
    { config: { policy: publicAccess, rateLimit: SELF_REFERRAL_CHECK_RATE_LIMIT } },
    async (req, reply) => {
      const values = postedAnswers(req.body);
      if (!values)
        return showForm(reply, 400, {}, [{ field: 'givenName', message: 'We could not read your answers. Fill in the form again.' }]);
      return showForm(reply, 200, values);
    },
  );

  app.post(
    '/refer-yourself/send',
    { config: { policy: publicAccess, rateLimit: SELF_REFERRAL_RATE_LIMIT, oncePerForm: tenant } },
    async (req, reply) => {
      const values = postedAnswers(req.body);
      if (!values)
        return showForm(reply, 400, {}, [{ field: 'givenName', message: 'We could not read your answers. Fill in the form again.' }]);
      const checked = checkAll(values);
      if ('errors' in checked) return showForm(reply, 400, values, checked.errors);
      checked.person.practiceId = null;
      // A filled honeypot gets the same page a person would, with a reference that leads nowhere.
      const reference = isSpam(values)
        ? service.newReference()
        : (await service.submitSelfReferral(pool, await tenant(), checked.person, checked.referral, ctx(req))).reference;
      // Post, then redirect: a repeat of the same form is sent to this page rather than saved twice.
      return reply.redirect(`/refer-yourself/sent?reference=${encodeURIComponent(reference)}`, 303);
    },
  );

  app.get('/refer-yourself/sent', { config: { policy: publicAccess } }, async (req, reply) => {
    const reference = text(req.query, 'reference', { max: 20, label: 'Reference' });
    if (!/^SP-[0-9A-Z]{8}$/.test(reference)) throw new NotFound('referral');
    return render(reply, 200, 'confirmation.njk', { reference, title: 'We have your referral', public: true });
  });
};

/** Triage, allocation, the referral page, contacts and status changes. */
const workRoutes: FastifyPluginAsync = async (app) => {
  const pool = app.database.pool;

  const showTriage = async (
    req: FastifyRequest,
    reply: FastifyReply,
    status = 200,
    values: Record<string, unknown> = {},
    errors: FieldError[] = [],
  ) => {
    const actor = signedIn(req);
    const search = field(req.query, 'q', { max: service.SEARCH_MAX_LENGTH, label: 'Search' });
    const rows = await service.triageQueue(pool, actor, { ...ctx(req), search });
    const { caseloads } = await service.teamOverview(pool, actor);
    const selected = new Set(Array.isArray(values.referralIds) ? values.referralIds : [values.referralIds]);
    const done = field(req.query, 'done');
    const count = Number(field(req.query, 'count')) || 0;
    // The summary's "select at least one" link goes to the first box in the table.
    const firstBox = rows[0] ? `referral-${rows[0].id}` : 'q';
    return render(
      reply,
      status,
      'triage.njk',
      {
        search,
        values,
        notice: (done === 'accepted' || done === 'allocated') && count > 0 ? `${count} referral${count === 1 ? '' : 's'} ${done}.` : '',
        rows: rows.map((r) => ({
          ...r,
          received: present.formatDate(r.receivedAt),
          urgencyTag: present.urgencyTag(r.urgency),
          statusTag: present.statusTag(r.status),
          reasonsText: r.reasons.map(present.needLabel).join(', '),
          selected: selected.has(r.id),
        })),
        workerItems: [
          { value: '', text: 'Choose a link worker' },
          ...caseloads.map((w) => ({
            value: w.userId,
            text: `${w.name} (${w.openReferrals} open)`,
            selected: values.linkWorkerId === w.userId,
          })),
        ],
      },
      errors.map((e) => (e.field === 'referralIds' ? { ...e, field: firstBox } : e)),
    );
  };

  app.get('/triage', { config: { policy: leads } }, async (req, reply) => showTriage(req, reply));

  app.post('/triage/bulk', { config: { policy: leads } }, async (req, reply) => {
    const body = bodyValues(req.body);
    const action = field(req.body, 'action', { max: 20, label: 'Action' });
    try {
      const done = await service.bulkTriage(
        pool,
        signedIn(req),
        {
          action,
          referralIds: fields(req.body, 'referralIds', { max: 36, label: 'Selected referrals' }),
          linkWorkerId: field(req.body, 'linkWorkerId', { max: 36, label: 'Link worker' }),
        },
        ctx(req),
      );
      return reply.redirect(`/triage?done=${action === 'accept' ? 'accepted' : 'allocated'}&count=${done.count}`, 303);
    } catch (error) {
      const shown = asFieldErrors(error, 'referralIds');
      if (!shown) throw error;
      return showTriage(req, reply, shown.status, body, shown.errors);
    }
  });

  const showMatch = async (
    req: FastifyRequest,
    reply: FastifyReply,
    status = 200,
    values: Record<string, unknown> = {},
    errors: FieldError[] = [],
  ) => {
    const { referralId } = req.params as { referralId: string };
    const page = await service.matchPage(pool, signedIn(req), referralId, ctx(req));
    const { submitted, match } = page;
    const born = (p: { dateOfBirth: string }) => `born ${present.formatDate(p.dateOfBirth)}`;
    return render(
      reply,
      status,
      'match.njk',
      {
        r: page.referral,
        values,
        nhsNumberHeldElsewhere: page.nhsNumberHeldElsewhere,
        submittedNhsNumber: formatNhsNumber(match.nhsNumber),
        reasonText:
          match.reason === 'self_referral'
            ? 'The person referred themself online.'
            : 'The referrer entered an NHS number that is on a record with a different name or date of birth.',
        decided: !!match.decision,
        decidedText:
          match.decision === 'same_person'
            ? `Matched to ${match.matchedPersonName} by ${match.decidedByName ?? 'a lead'}.`
            : `Kept as a new person by ${match.decidedByName ?? 'a lead'}.`,
        submittedRows: [
          ...present
            .personRows(submitted, null)
            .filter((row) =>
              ['Name', 'NHS number', 'Date of birth', 'Postcode', 'Address', 'Phone', 'Email', 'How to contact'].includes(row.key.text),
            ),
          { key: { text: 'Consent given with it' }, value: { text: present.consentStatements(page.consents) } },
        ],
        candidates: page.candidates.map((record) => ({
          id: record.id,
          caption: `${record.givenName} ${record.familyName}, ${born(record)}`,
          rows: compareDetails(submitted, record, present.formatDate).map((d) => [
            { header: 'Detail', text: d.label },
            { header: 'In the referral', text: d.submitted },
            { header: 'On this record', text: d.record },
            { header: 'Same?', html: present.agreementTag(d.agreement) },
          ]),
        })),
        choiceItems: page.candidates.map((record) => ({
          value: record.id,
          checked: values.choice === record.id,
          text: `The same person as ${record.givenName} ${record.familyName}, ${born(record)}`,
          hint: {
            text: 'The referral joins this record. Its consents stay as they are; the link worker confirms with the person what they agreed to.',
          },
        })),
      },
      errors,
    );
  };
  app.get('/triage/:referralId/match', { config: { policy: leads } }, async (req, reply) => showMatch(req, reply));
  app.post('/triage/:referralId/match', { config: { policy: leads } }, async (req, reply) => {
    const { referralId } = req.params as { referralId: string };
    const body = bodyValues(req.body);
    const nhsNumber = typeof body.nhsNumber === 'string' ? body.nhsNumber : undefined;
    try {
      await service.resolveMatch(pool, signedIn(req), referralId, { choice: text(body, 'choice'), nhsNumber }, ctx(req));
    } catch (error) {
      const shown = asFieldErrors(error, 'choice');
      if (!shown) throw error;
      return showMatch(req, reply, shown.status, body, shown.errors);
    }
    return reply.redirect(`/referrals/${referralId}?done=matched`, 303);
  });

  const showReferral = async (
    req: FastifyRequest,
    reply: FastifyReply,
    status = 200,
    errors: FieldError[] = [],
    values: Record<string, unknown> = {},
  ) => {
    const actor = signedIn(req);
    const { referralId } = req.params as { referralId: string };
    const view = await service.getReferral(pool, actor, referralId, ctx(req));
    const r = view.referral;
    const isLead = actor.roles.includes('lead');
    const notice = text(req.query, 'done');
    const needsMatching = !!view.match && !view.match.decision;
    // Where the discharge summary has got to on its way into the GP record.
    const gpRecordView = r.status === 'discharged' ? describeGpRecordStatus(await gpRecordStatus(pool, actor, referralId)) : undefined;
    return render(
      reply,
      status,
      'referral.njk',
      {
        r,
        view,
        isLead,
        values,
        notice,
        gpRecordView,
        statusTag: present.statusTag(r.status),
        urgencyTag: present.urgencyTag(r.urgency),
        received: present.formatDateTime(r.receivedAt),
        nextDue: present.formatDate(r.nextActionDue),
        reasonsText: present.reasonsText(r.reasons),
        source: present.labels.SOURCES[r.source],
        channel: present.labels.CHANNELS[r.channel],
        needsMatching,
        submittedConsents: view.submittedConsents.length ? present.consentStatements(view.submittedConsents) : '',
        consentItems: view.submittedConsents.map((c) => ({
          value: c.kind,
          text: present.consentStatements([c]).replace(/^Agreed to/, 'To'),
          checked: list(values, 'consents').includes(c.kind),
        })),
        consentsConfirmed: view.match?.consentsConfirmedAt
          ? `Confirmed with the person by ${view.match.consentsConfirmedByName ?? 'a link worker'}, ${present.formatDateTime(view.match.consentsConfirmedAt)}.`
          : '',
        canAccept: isLead && r.status === 'received' && !needsMatching,
        canAllocate:
          isLead && !needsMatching && (r.status === 'received' || r.status === 'triaged' || ALLOCATED_STATUSES.includes(r.status)),
        canNotSuitable: isLead && (r.status === 'received' || r.status === 'triaged'),
        canContact: ALLOCATED_STATUSES.includes(r.status) || r.status === 'unable_to_contact',
        isOpen: OPEN_STATUSES.includes(r.status),
        closeItems: view.allowedNext
          .filter((s) => s === 'declined' || s === 'withdrawn')
          .map((s) => ({ value: s, text: STATUS_LABELS[s], checked: values.status === s })),
        contacts: view.contacts.map((c) => ({
          ...c,
          when: present.formatDateTime(c.occurredAt),
          modeLabel: present.labels.CONTACT_MODES[c.mode],
          approachLabel: c.approach ? present.labels.APPROACHES[c.approach] : '',
        })),
        transitions: [...view.transitions].reverse().map((t) => ({
          ...t,
          when: present.formatDateTime(t.occurredAt),
          fromLabel: t.fromStatus ? STATUS_LABELS[t.fromStatus] : '',
          toLabel: STATUS_LABELS[t.toStatus],
        })),
        allocations: [...view.allocations].reverse().map((a) => ({ ...a, when: present.formatDateTime(a.allocatedAt) })),
        nextActionValues: { nextAction: values.nextAction ?? r.nextAction ?? '', due: values.due ?? r.nextActionDue ?? '' },
      },
      errors,
    );
  };

  app.get('/referrals/:referralId', { config: { policy: staff } }, async (req, reply) => showReferral(req, reply));

  const referralAction = (
    path: string,
    policy: typeof staff,
    act: (actor: Actor, referralId: string, body: Record<string, unknown>, req: FastifyRequest) => Promise<unknown>,
    done: string,
  ) => {
    app.post(`/referrals/:referralId/${path}`, { config: { policy } }, async (req, reply) => {
      const actor = signedIn(req);
      const { referralId } = req.params as { referralId: string };
      const body = bodyValues(req.body);
      try {
        await act(actor, referralId, body, req);
      } catch (error) {
        const shown = asFieldErrors(error);
        if (!shown) throw error;
        return showReferral(req, reply, shown.status, shown.errors, body);
      }
      return reply.redirect(`/referrals/${referralId}?done=${done}`, 303);
    });
  };

  referralAction(
    'accept',
    leads,
    (actor, id, body, req) => service.acceptReferral(pool, actor, id, checkVersion(body), ctx(req)),
    'accepted',
  );
  // This form only closes a referral; the other steps have their own pages (contacts, allocation,
  // and later assessment and discharge).
  referralAction(
    'status',
    staff,
    async (actor, id, body, req) => {
      const to = text(body, 'status');
      if (to !== 'declined' && to !== 'withdrawn') {
        await service.getReferral(pool, actor, id, ctx(req));
        throw new InvalidInput([{ field: 'status', message: 'Select whether the person declined or the referral was withdrawn' }]);
      }
      return service.transitionReferral(
        pool,
        actor,
        id,
        { to, reason: text(body, 'reason', { max: LIMITS.shortReason, label: 'Reason' }), version: checkVersion(body) },
        ctx(req),
      );
    },
    'status',
  );
  referralAction(
    'confirmed-consents',
    staff,
    (actor, id, body, req) => service.confirmSubmittedConsents(pool, actor, id, list(body, 'consents'), ctx(req)),
    'consents',
  );
  referralAction(
    'unable-to-contact',
    staff,
    (actor, id, body, req) => service.markUnableToContact(pool, actor, id, { version: checkVersion(body) }, ctx(req)),
    'unable-to-contact',
  );
  referralAction(
    'next-action',
    staff,
    (actor, id, body, req) =>
      service.setNextAction(
        pool,
        actor,
        id,
        {
          nextAction: text(body, 'nextAction', { max: LIMITS.shortReason, label: 'Next action' }),
          due: text(body, 'due', { max: 20, label: 'Due date' }),
          version: checkVersion(body),
        },
        ctx(req),
      ),
    'next-action',
  );

  const showNotSuitable = async (
    req: FastifyRequest,
    reply: FastifyReply,
    status = 200,
    values: Record<string, unknown> = {},
    errors: FieldError[] = [],
  ) => {
    const { referralId } = req.params as { referralId: string };
    const view = await service.getReferral(pool, signedIn(req), referralId, ctx(req));
    return render(reply, status, 'not-suitable.njk', { r: view.referral, values }, errors);
  };
  app.get('/referrals/:referralId/not-suitable', { config: { policy: leads } }, async (req, reply) => showNotSuitable(req, reply));
  app.post('/referrals/:referralId/not-suitable', { config: { policy: leads } }, async (req, reply) => {
    const { referralId } = req.params as { referralId: string };
    const body = bodyValues(req.body);
    try {
      await service.transitionReferral(
        pool,
        signedIn(req),
        referralId,
        {
          to: 'not_suitable',
          notSuitableReason: text(body, 'notSuitableReason', { max: LIMITS.shortReason, label: 'Reason' }),
          redirectedTo: text(body, 'redirectedTo', { max: LIMITS.organisationName, label: 'Where you redirected them' }),
          version: checkVersion(body),
        },
        ctx(req),
      );
    } catch (error) {
      const shown = asFieldErrors(error, 'notSuitableReason');
      if (!shown) throw error;
      return showNotSuitable(req, reply, shown.status, body, shown.errors);
    }
    return reply.redirect('/triage', 303);
  });

  const showAllocate = async (
    req: FastifyRequest,
    reply: FastifyReply,
    status = 200,
    values: Record<string, unknown> = {},
    errors: FieldError[] = [],
  ) => {
    const { referralId } = req.params as { referralId: string };
    const suggestion = await service.suggestAllocation(pool, signedIn(req), referralId);
    const chosen = typeof values.linkWorkerId === 'string' ? values.linkWorkerId : suggestion.suggestedUserId;
    return render(
      reply,
      status,
      'allocate.njk',
      {
        r: suggestion.referral,
        values,
        workerItems: suggestion.workers
          .filter((w) => w.userId !== suggestion.referral.assignedTo)
          .map((w) => ({
            value: w.userId,
            checked: w.userId === chosen,
            text: `${w.name}${w.suggested ? ' (suggested)' : ''}`,
            hint: {
              text: `${w.openReferrals} open referral${w.openReferrals === 1 ? '' : 's'}${w.samePractice ? `, ${w.samePractice} from this person’s practice` : ''}`,
            },
          })),
      },
      errors,
    );
  };
  app.get('/referrals/:referralId/allocate', { config: { policy: leads } }, async (req, reply) => showAllocate(req, reply));
  app.post('/referrals/:referralId/allocate', { config: { policy: leads } }, async (req, reply) => {
    const { referralId } = req.params as { referralId: string };
    const body = bodyValues(req.body);
    try {
      await service.allocateReferral(
        pool,
        signedIn(req),
        referralId,
        {
          linkWorkerId: text(body, 'linkWorkerId', { max: 36, label: 'Link worker' }),
          reason: text(body, 'reason', { max: LIMITS.shortReason, label: 'Reason' }),
          version: checkVersion(body),
        },
        ctx(req),
      );
    } catch (error) {
      const shown = asFieldErrors(error, 'linkWorkerId');
      if (!shown) throw error;
      return showAllocate(req, reply, shown.status, body, shown.errors);
    }
    return reply.redirect(`/referrals/${referralId}?done=allocated`, 303);
  });

  const showContact = async (
    req: FastifyRequest,
    reply: FastifyReply,
    status = 200,
    values: Record<string, unknown> = {},
    errors: FieldError[] = [],
  ) => {
    const { referralId } = req.params as { referralId: string };
    const view = await service.getReferral(pool, signedIn(req), referralId, ctx(req));
    return render(reply, status, 'contact.njk', { r: view.referral, values, ...present.contactFormItems(values) }, errors);
  };
  app.get('/referrals/:referralId/contacts/new', { config: { policy: staff } }, async (req, reply) => showContact(req, reply));
  app.post('/referrals/:referralId/contacts', { config: { policy: staff, oncePerForm: true } }, async (req, reply) => {
    const { referralId } = req.params as { referralId: string };
    const body = bodyValues(req.body);
    const checked = checkContact(body);
    if (!checked.ok) return showContact(req, reply, 400, body, checked.errors);
    try {
      await service.recordContact(pool, signedIn(req), referralId, checked.value, ctx(req));
    } catch (error) {
      const shown = asFieldErrors(error, 'outcome');
      if (!shown) throw error;
      return showContact(req, reply, shown.status, body, shown.errors);
    }
    return reply.redirect(`/referrals/${referralId}?done=contact`, 303);
  });

  app.get('/caseload', { config: { policy: staff } }, async (req, reply) => {
    const query = req.query as Record<string, unknown>;
    const filter = {
      worker: text(query, 'worker') || undefined,
      status: text(query, 'status') || undefined,
      overdueOnly: text(query, 'overdue') === 'yes',
      sort: text(query, 'sort') || undefined,
      page: /^\d{1,5}$/.test(text(query, 'page')) ? Number(text(query, 'page')) : undefined,
      search: field(query, 'q', { max: service.SEARCH_MAX_LENGTH, label: 'Search' }),
    };
    const result = await service.caseload(pool, signedIn(req), filter, ctx(req));
    const pageLink = (page: number) =>
      `/caseload?${new URLSearchParams({
        ...(filter.worker ? { worker: filter.worker } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.overdueOnly ? { overdue: 'yes' } : {}),
        ...(filter.search ? { q: filter.search } : {}),
        sort: result.sort,
        page: String(page),
      }).toString()}`;
    return render(reply, 200, 'caseload.njk', {
      ...result,
      filter,
      previous: result.page > 1 ? { href: pageLink(result.page - 1), labelText: `Page ${result.page - 1} of ${result.pages}` } : undefined,
      next:
        result.page < result.pages
          ? { href: pageLink(result.page + 1), labelText: `Page ${result.page + 1} of ${result.pages}` }
          : undefined,
      rows: result.rows.map((r) => ({
        ...r,
        statusTag: present.statusTag(r.status),
        urgencyTag: present.urgencyTag(r.urgency),
        due: present.formatDate(r.nextActionDue),
        lastContact: r.lastContactAt
          ? `${present.formatDate(r.lastContactAt)} (${r.lastContactOutcome === 'made' ? 'spoke' : 'attempt'})`
          : 'None yet',
        reminders: result.reminders.get(r.id) ?? [],
      })),
      needingAttention: result.reminders.size,
      statusItems: [
        { value: '', text: 'Any open status' },
        ...OPEN_STATUSES.map((s) => ({ value: s, text: STATUS_LABELS[s], selected: s === result.status })),
      ],
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
  });

  app.get('/my-referrals', { config: { policy: referrerOnly } }, async (req, reply) => {
    const search = field(req.query, 'q', { max: service.SEARCH_MAX_LENGTH, label: 'Search' });
    const pageText = field(req.query, 'page', { max: 6, label: 'Page' });
    const result = await service.referrerPage(
      pool,
      signedIn(req),
      { search, page: /^\d{1,5}$/.test(pageText) ? Number(pageText) : 1 },
      ctx(req),
    );
    const pageLink = (page: number) =>
      `/my-referrals?${new URLSearchParams({ ...(search ? { q: search } : {}), page: String(page) }).toString()}`;
    return render(reply, 200, 'my-referrals.njk', {
      ...result,
      search,
      previous: result.page > 1 ? { href: pageLink(result.page - 1), labelText: `Page ${result.page - 1} of ${result.pages}` } : undefined,
      next:
        result.page < result.pages
          ? { href: pageLink(result.page + 1), labelText: `Page ${result.page + 1} of ${result.pages}` }
          : undefined,
      rows: result.rows.map((r) => ({
        ...r,
        received: present.formatDate(r.receivedAt),
        changed: present.formatDate(r.statusChangedAt),
        statusTag: present.statusTag(r.status),
        born: present.formatDate(r.dateOfBirth),
      })),
    });
  });

  app.get('/my-referrals/:referralId', { config: { policy: referrerOnly } }, async (req, reply) => {
    const { referralId } = req.params as { referralId: string };
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
        { key: { text: 'Date of birth' }, value: { text: present.formatDate(r.dateOfBirth) } },
        { key: { text: 'NHS number' }, value: { text: r.nhsNumber ? formatNhsNumber(r.nhsNumber) : 'Not given' } },
        {
          key: { text: 'Sent' },
          value: { text: `${present.formatDate(r.receivedAt)}${r.referrerUserName ? ` by ${r.referrerUserName}` : ''}` },
        },
        { key: { text: 'Reasons' }, value: { text: present.reasonsText(r.reasons) } },
        {
          key: { text: 'Urgency' },
          value: { text: present.labels.URGENCIES[r.urgency as keyof typeof present.labels.URGENCIES] ?? r.urgency },
        },
        { key: { text: 'Link worker' }, value: { text: r.assignedToName ?? 'Not allocated yet' } },
        ...(r.status === 'not_suitable' ? [{ key: { text: 'Redirected to' }, value: { text: r.redirectedTo ?? 'Not recorded' } }] : []),
      ],
      steps: [...transitions].reverse().map((t) => ({ label: STATUS_LABELS[t.toStatus], when: present.formatDate(t.occurredAt) })),
    });
  });
};

/** The person page, editing, merging and consents. */
const peopleRoutes: FastifyPluginAsync = async (app) => {
  const pool = app.database.pool;

  app.get('/people/:personId', { config: { policy: staff } }, async (req, reply) => {
    const actor = signedIn(req);
    const { personId } = req.params as { personId: string };
    const page = await service.personPage(pool, actor, personId, ctx(req));
    if (page.person.mergedIntoId) return reply.redirect(`/people/${page.person.mergedIntoId}`, 303);
    return render(reply, 200, 'person.njk', {
      p: page.person,
      personRows: present.personRows(page.person, page.person.practiceName, `/people/${personId}/edit`),
      referrals: page.referrals.map((r) => ({ ...r, received: present.formatDate(r.receivedAt), statusTag: present.statusTag(r.status) })),
      consents: page.consents.map((c) => ({
        ...c,
        recorded: present.formatDateTime(c.recordedAt),
        withdrawn: present.formatDateTime(c.withdrawnAt),
      })),
      hasResearchConsent: page.consents.some((c) => c.kind === 'research' && !c.withdrawnAt),
      timeline: page.timeline.map((e) => ({ ...e, when: present.formatDateTime(e.at) })),
      mergedFrom: page.mergedFrom,
      notice: text(req.query, 'done'),
    });
  });

  const showEdit = async (
    req: FastifyRequest,
    reply: FastifyReply,
    status = 200,
    values?: Record<string, unknown>,
    errors: FieldError[] = [],
  ) => {
    const actor = signedIn(req);
    const { personId } = req.params as { personId: string };
    const { person } = await service.getPerson(pool, actor, personId, ctx(req));
    const shown = values ?? { ...present.personFormValues(person), version: String(person.version) };
    const practices = await service.practices(pool, actor);
    return render(
      reply,
      status,
      'person-page.njk',
      {
        action: `/people/${personId}/edit`,
        values: shown,
        back: `/people/${personId}`,
        editing: true,
        ...present.personFormItems(shown, practices),
      },
      errors,
    );
  };
  app.get('/people/:personId/edit', { config: { policy: staff } }, async (req, reply) => showEdit(req, reply));
  app.post('/people/:personId/edit', { config: { policy: staff } }, async (req, reply) => {
    const { personId } = req.params as { personId: string };
    const values = bodyValues(req.body);
    const checked = checkPerson(values);
    if (!checked.ok) return showEdit(req, reply, 400, values, checked.errors);
    try {
      await service.updatePerson(pool, signedIn(req), personId, checkVersion(values), checked.value, ctx(req));
    } catch (error) {
      const shown = asFieldErrors(error, 'givenName');
      if (!shown) throw error;
      return showEdit(req, reply, shown.status, values, shown.errors);
    }
    return reply.redirect(`/people/${personId}?done=saved`, 303);
  });

  const showMerge = async (req: FastifyRequest, reply: FastifyReply, status = 200, errors: FieldError[] = []) => {
    const actor = signedIn(req);
    const { personId } = req.params as { personId: string };
    const { person } = await service.getPerson(pool, actor, personId, ctx(req));
    const candidates = (await service.findDuplicates(pool, actor, person)).filter((d) => d.id !== personId);
    return render(
      reply,
      status,
      'merge.njk',
      {
        p: person,
        items: candidates.map((d) => ({
          value: d.id,
          text: `${d.givenName} ${d.familyName}, born ${present.formatDate(d.dateOfBirth)}`,
          hint: {
            text: [d.nhsNumber ? `NHS number ${formatNhsNumber(d.nhsNumber)}` : 'No NHS number', d.postcode].filter(Boolean).join(' · '),
          },
        })),
      },
      errors,
    );
  };
  app.get('/people/:personId/merge', { config: { policy: staff } }, async (req, reply) => showMerge(req, reply));
  app.post('/people/:personId/merge', { config: { policy: staff } }, async (req, reply) => {
    const { personId } = req.params as { personId: string };
    const duplicateId = text(req.body, 'duplicateId');
    if (!duplicateId) return showMerge(req, reply, 400, [{ field: 'duplicateId', message: 'Select the record to merge into this one' }]);
    try {
      await service.mergePeople(pool, signedIn(req), personId, duplicateId, ctx(req));
    } catch (error) {
      const shown = asFieldErrors(error, 'duplicateId');
      if (!shown) throw error;
      return showMerge(req, reply, shown.status, shown.errors);
    }
    return reply.redirect(`/people/${personId}?done=merged`, 303);
  });

  app.post('/people/:personId/consents/research', { config: { policy: staff } }, async (req, reply) => {
    const { personId } = req.params as { personId: string };
    await service.recordResearchConsent(pool, signedIn(req), personId, ctx(req));
    return reply.redirect(`/people/${personId}?done=consent`, 303);
  });

  app.post('/people/:personId/consents/:consentId/withdraw', { config: { policy: staff } }, async (req, reply) => {
    const { personId, consentId } = req.params as { personId: string; consentId: string };
    await service.withdrawConsent(
      pool,
      signedIn(req),
      personId,
      consentId,
      text(req.body, 'reason', { max: LIMITS.shortReason, label: 'Reason for withdrawing consent' }) || null,
      ctx(req),
    );
    return reply.redirect(`/people/${personId}?done=consent`, 303);
  });
};

export const referralRoutes: FastifyPluginAsync = async (app) => {
  await app.register(staffIntakeRoutes);
  await app.register(selfReferralRoutes);
  await app.register(workRoutes);
  await app.register(peopleRoutes);
};
