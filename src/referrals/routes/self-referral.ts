import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { publicAccess } from '../../identity/policy.ts';
import { checkPerson, PersonFields } from '../../people/schema.ts';
import { NotFound, type FieldError } from '../../web/errors.ts';
import { bodyValues } from '../../web/forms.ts';
import { FormBody, TextQuery, FormField } from '../../web/schemas.ts';
import * as present from '../present.ts';
import { checkConsent, checkReferralReason, ConsentFields, ReasonFields, text } from '../schema.ts';
import * as service from '../service.ts';
import { ctx, render } from './pages.ts';
import * as personPresent from '../../people/present.ts';

/** Self-referral is public: a honeypot plus these per-address limits keep spam out. */
export const SELF_REFERRAL_RATE_LIMIT = { max: 10, timeWindow: '1 hour' };
const SELF_REFERRAL_CHECK_RATE_LIMIT = { max: 30, timeWindow: '1 hour' };

// The public form: the person's details, the reason and consents, and a field only bots fill.
const SelfReferralBody = FormBody({ ...PersonFields, ...ReasonFields, ...ConsentFields, website: FormField });
// "Check your answers" carries the answers as the form posted them.
const AnswersBody = FormBody({ answers: FormField });

/** The public self-referral: plain English, no account, never says whether a person is known. */
export const selfReferralRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
        ...personPresent.personFormItems(values, []),
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

  app.post(
    '/refer-yourself',
    { schema: { body: SelfReferralBody }, config: { policy: publicAccess, rateLimit: SELF_REFERRAL_CHECK_RATE_LIMIT } },
    async (req, reply) => {
      const values = bodyValues(req.body);
      const checked = checkAll(values);
      if ('errors' in checked) return showForm(reply, 400, values, checked.errors);
      return render(reply, 200, 'self-check.njk', {
        answers: JSON.stringify(values),
        ...present.selfReferralRows(checked.person, checked.referral),
      });
    },
  );

  // "Change" on the check page posts the answers back (no account, so nothing is kept on the
  // server, and no answer goes in an address); the form comes back filled in, at the field.
  app.post(
    '/refer-yourself/change',
    { schema: { body: AnswersBody }, config: { policy: publicAccess, rateLimit: SELF_REFERRAL_CHECK_RATE_LIMIT } },
    async (req, reply) => {
      const values = postedAnswers(req.body);
      if (!values)
        return showForm(reply, 400, {}, [{ field: 'givenName', message: 'We could not read your answers. Fill in the form again.' }]);
      return showForm(reply, 200, values);
    },
  );

  app.post(
    '/refer-yourself/send',
    { schema: { body: AnswersBody }, config: { policy: publicAccess, rateLimit: SELF_REFERRAL_RATE_LIMIT, oncePerForm: tenant } },
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

  app.get(
    '/refer-yourself/sent',
    { schema: { querystring: TextQuery('reference') }, config: { policy: publicAccess } },
    async (req, reply) => {
      const reference = text(req.query, 'reference', { max: 20, label: 'Reference' });
      if (!/^SP-[0-9A-Z]{8}$/.test(reference)) throw new NotFound('referral');
      return render(reply, 200, 'confirmation.njk', { reference, title: 'We have your referral', public: true });
    },
  );
};
