import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../../identity/actor.ts';
import { formatNhsNumber } from '../../people/nhs-number.ts';
import { checkPerson, PersonFields, type PersonInput } from '../../people/schema.ts';
import * as people from '../../people/service.ts';
import { NotFound } from '../../web/errors.ts';
import { attempt, firstVisit, invalidForm, str, type FormState } from '../../web/pages.ts';
import { bodyValues } from '../../web/forms.ts';
import { FormBody, IdParams, TextQuery, FormField } from '../../web/schemas.ts';
import * as present from '../present.ts';
import { checkConsent, checkReferralReason, ConsentFields, ReasonFields, text, type ReferralInput } from '../schema.ts';
import * as service from '../service.ts';
import { ctx, referrers, render, signedIn } from './pages.ts';
import * as personPresent from '../../people/present.ts';
import { formatDate } from '../../calendar/format.ts';

const DraftParams = IdParams('draftId');

type Draft = { person?: Record<string, unknown>; reason?: Record<string, unknown>; consent?: Record<string, unknown> };

/** Staff intake: question pages, check your answers, confirmation. */
export const intakeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  const pages = {
    person: { view: 'people/views/person-page.njk', check: (v: unknown) => checkPerson(v), next: 'reason', fields: PersonFields },
    reason: { view: 'reason-page.njk', check: (v: unknown) => checkReferralReason(v), next: 'consent', fields: ReasonFields },
    consent: { view: 'consent-page.njk', check: (v: unknown) => checkConsent(v), next: 'check', fields: ConsentFields },
  } as const;

  /** A question page of a draft; the person's details come first, before there is a draft. */
  const questionPage = async (
    reply: FastifyReply,
    actor: Actor,
    name: keyof typeof pages,
    draftId: string | undefined,
    { status, values, errors }: FormState,
  ) => {
    const action = draftId ? `/referrals/new/${draftId}/${name}` : '/referrals/new';
    const extra =
      name === 'person'
        ? personPresent.personFormItems(values, await people.practices(pool, actor))
        : name === 'reason'
          ? present.reasonFormItems(values)
          : {};
    const back = name === 'person' ? '/' : name === 'reason' ? `/referrals/new/${draftId}/person` : `/referrals/new/${draftId}/reason`;
    return render(
      reply,
      status,
      pages[name].view,
      { action, values, back, draftId, ...extra, isReferrer: actor.roles.includes('referrer') },
      errors,
    );
  };

  app.get('/referrals/new', { config: { policy: referrers } }, async (req, reply) => {
    const actor = signedIn(req);
    return questionPage(reply, actor, 'person', undefined, firstVisit({ practiceId: actor.practiceId ?? '' }));
  });

  app.post(
    '/referrals/new',
    { schema: { body: FormBody(PersonFields) }, config: { policy: referrers, oncePerForm: true } },
    async (req, reply) => {
      const actor = signedIn(req);
      const values = bodyValues(req.body);
      const checked = checkPerson(values);
      if (!checked.ok) return questionPage(reply, actor, 'person', undefined, invalidForm(checked.errors, values));
      const draftId = await service.startDraft(pool, actor, { person: values });
      return reply.redirect(`/referrals/new/${draftId}/reason`, 303);
    },
  );

  for (const [name, page] of Object.entries(pages) as [keyof typeof pages, (typeof pages)[keyof typeof pages]][]) {
    app.get(`/referrals/new/:draftId/${name}`, { schema: { params: DraftParams }, config: { policy: referrers } }, async (req, reply) => {
      const actor = signedIn(req);
      const { draftId } = req.params;
      const draft = (await service.getDraft(pool, actor, draftId)) as Draft;
      const values = draft[name] ?? (name === 'reason' && actor.roles.includes('referrer') ? { source: 'gp' } : {});
      return questionPage(reply, actor, name, draftId, firstVisit(values));
    });
    app.post(
      `/referrals/new/:draftId/${name}`,
      { schema: { params: DraftParams, body: FormBody(page.fields) }, config: { policy: referrers } },
      async (req, reply) => {
        const actor = signedIn(req);
        const { draftId } = req.params;
        const draft = (await service.getDraft(pool, actor, draftId)) as Draft;
        const values = bodyValues(req.body);
        const checked = page.check(values);
        if (!checked.ok) return questionPage(reply, actor, name, draftId, invalidForm(checked.errors, values));
        await service.saveDraft(pool, actor, draftId, { ...draft, [name]: values });
        const complete = { ...draft, [name]: values };
        const next = complete.person && complete.reason && complete.consent ? 'check' : page.next;
        return reply.redirect(`/referrals/new/${draftId}/${next}`, 303);
      },
    );
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
    { status, values, errors }: FormState = firstVisit(),
  ) => {
    const choice = str(values.personChoice);
    const { duplicates, mismatch } = await people.checkForExistingRecords(pool, actor, input.person);
    const practices = await people.practices(pool, actor);
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
        text: `${d.givenName} ${d.familyName}, born ${formatDate(d.dateOfBirth)}`,
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
        personRows: personPresent.personRows(input.person, practiceName, `${base}/person`),
        referralRows,
        duplicates,
        choiceItems,
        mismatch: mismatch && {
          ...mismatch,
          text: personPresent.differencesText(mismatch.differences),
          nhsNumber: formatNhsNumber(input.person.nhsNumber),
        },
      },
      errors,
    );
  };

  app.get('/referrals/new/:draftId/check', { schema: { params: DraftParams }, config: { policy: referrers } }, async (req, reply) => {
    const actor = signedIn(req);
    const { draftId } = req.params;
    const input = draftInput((await service.getDraft(pool, actor, draftId)) as Draft);
    if ('missing' in input) return reply.redirect(`/referrals/new/${draftId}/${input.missing}`, 303);
    return showCheck(reply, actor, draftId, input);
  });

  app.post(
    '/referrals/new/:draftId/check',
    { schema: { params: DraftParams, body: FormBody({ personChoice: FormField }) }, config: { policy: referrers, oncePerForm: true } },
    async (req, reply) => {
      const actor = signedIn(req);
      const { draftId } = req.params;
      const input = draftInput((await service.getDraft(pool, actor, draftId)) as Draft);
      if ('missing' in input) return reply.redirect(`/referrals/new/${draftId}/${input.missing}`, 303);
      const { duplicates, mismatch } = await people.checkForExistingRecords(pool, actor, input.person);
      const choice = text(req.body, 'personChoice') || (duplicates.length === 0 && !mismatch ? 'new' : '');
      if (mismatch && choice !== 'unmatched')
        return showCheck(
          reply,
          actor,
          draftId,
          input,
          invalidForm([{ field: 'personChoice', message: people.NHS_NUMBER_MISMATCH_MESSAGE }]),
        );
      if (!choice)
        return showCheck(
          reply,
          actor,
          draftId,
          input,
          invalidForm([{ field: 'personChoice', message: 'Select the existing record for this person, or create a new one' }]),
        );
      if (!mismatch && choice !== 'new' && !duplicates.some((d) => d.id === choice)) {
        return showCheck(reply, actor, draftId, input, invalidForm([{ field: 'personChoice', message: 'Select a record from the list' }]));
      }
      const sent = await attempt(() => service.submitDraft(pool, actor, draftId, { ...input, personChoice: choice }, ctx(req)), {
        field: 'personChoice',
        values: { personChoice: choice },
      });
      if (!sent.ok) return showCheck(reply, actor, draftId, input, sent.form);
      return reply.redirect(
        `/referrals/sent?reference=${encodeURIComponent(sent.value.reference)}${choice === 'unmatched' ? '&held=yes' : ''}`,
        303,
      );
    },
  );

  app.get(
    '/referrals/sent',
    { schema: { querystring: TextQuery('reference', 'held') }, config: { policy: referrers } },
    async (req, reply) => {
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
    },
  );
};
