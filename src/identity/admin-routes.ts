import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  POPULATION_DIMENSIONS,
  POPULATION_FIELDS,
  practicePopulation,
  practicePopulations,
  populationValues,
  setPracticePopulation,
} from '../reporting/population.ts';
import { InvalidInput, NotFound } from '../web/errors.ts';
import { ROLES, type Actor, type Role } from './actor.ts';
import { anySignedIn, publicAccess, rolePolicy } from './policy.ts';
import * as q from './queries.ts';
import * as users from './users.ts';
import { field, fields, practiceChoices, ROLE_NAMES } from './web.ts';
import { attempt, firstVisit, formStep, recordPage, selectItems, signedIn, view, type FormState, type RecordPage } from '../web/pages.ts';
import { FormBody, IdParams, Text, TextOrList, TextQuery } from '../web/schemas.ts';

const adminOnly = rolePolicy('admin', 'admin');

const UserParams = IdParams('userId');
const PracticeParams = IdParams('practiceId');
const RoleFields = { roles: TextOrList(), practiceId: Text(), providerOrganisationId: Text() };
const InviteForm = FormBody({ ...RoleFields, email: Text(), name: Text() });
const NoFields = FormBody({});
const PracticeForm = FormBody({ odsCode: Text(), name: Text(), meshMailboxId: Text() });
const MeshMailboxForm = FormBody({ mailboxPracticeId: Text(), practiceMeshMailboxId: Text() });
const populationFields = Object.fromEntries(POPULATION_FIELDS.map((name) => [name, Text()]));
const PopulationForm = FormBody(populationFields);
const PopulationWithPracticeForm = FormBody({ ...populationFields, practiceId: Text() });
const AuditQuery = TextQuery('user', 'person', 'from', 'to');
const PasswordForm = FormBody({ current: Text(), password: Text(), confirm: Text() });
const TokenQuery = TextQuery('token');
const SetPasswordForm = FormBody({ token: Text(), password: Text(), confirm: Text() });
const EmailForm = FormBody({ email: Text() });

function roleFieldItems(
  choice: users.RoleChoice,
  practices: { id: string; name: string; odsCode: string }[],
  organisations: { id: string; name: string }[],
) {
  return {
    roleItems: ROLES.map((role) => ({ value: role, text: ROLE_NAMES[role], checked: choice.roles.includes(role) })),
    practiceItems: selectItems('None', practiceChoices(practices), choice.practiceId),
    organisationItems: selectItems(
      'None',
      organisations.map((o) => ({ value: o.id, text: o.name })),
      choice.providerOrganisationId,
    ),
  };
}

function roleChoiceFrom(body: unknown): users.RoleChoice {
  return {
    roles: fields(body, 'roles') as Role[],
    practiceId: field(body, 'practiceId') || null,
    providerOrganisationId: field(body, 'providerOrganisationId') || null,
  };
}

const NO_ROLES: users.RoleChoice = { roles: [], practiceId: null, providerOrganisationId: null };

const withNames = <T extends { roles: Role[] }>(list: T[]) =>
  list.map((u) => ({ ...u, roleNames: u.roles.map((r) => ROLE_NAMES[r] ?? r) }));

/** Users, roles, the audit trail and (in demo mode) the outbox, for a tenant's admins. */
export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  app.get('/admin/users', { config: { policy: adminOnly } }, async (req, reply) => {
    const { users: list } = await users.listUsers(pool, signedIn(req));
    return reply.view('identity/views/users.njk', { users: withNames(list) });
  });

  async function showInvite(reply: FastifyReply, actor: Actor, choice: users.RoleChoice = NO_ROLES, form: FormState = firstVisit()) {
    const { practices, organisations } = await users.practicesAndOrganisations(pool, actor);
    const items = roleFieldItems(choice, practices, organisations);
    return view(reply, form.status, 'identity/views/invite.njk', { values: form.values, ...items }, form.errors);
  }

  app.get('/admin/users/invite', { config: { policy: adminOnly } }, async (req, reply) => showInvite(reply, signedIn(req)));

  app.post(
    '/admin/users/invite',
    { schema: { body: InviteForm }, config: { policy: adminOnly, oncePerForm: true } },
    async (req, reply) => {
      const actor = signedIn(req);
      const input = { ...roleChoiceFrom(req.body), email: field(req.body, 'email'), name: field(req.body, 'name') };
      const invited = await attempt(() => users.inviteUser(pool, actor, input, { baseUrl: app.config.baseUrl, requestId: req.id }), {
        field: 'email',
        values: { email: input.email, name: input.name },
      });
      if (!invited.ok) return showInvite(reply, actor, input, invited.form);
      return reply.redirect('/admin/users', 303);
    },
  );

  // Refused, the page shows the roles as they were posted.
  const userPage: RecordPage = async (req, reply, userId, form) => {
    const { user, practices, organisations } = await users.getUser(pool, signedIn(req), userId);
    const current = form
      ? roleChoiceFrom(form.values)
      : { roles: user.roles, practiceId: user.practiceId, providerOrganisationId: user.providerOrganisationId };
    const { status, errors } = form ?? firstVisit();
    return view(reply, status, 'identity/views/user.njk', { user, ...roleFieldItems(current, practices, organisations) }, errors);
  };

  recordPage(app, '/admin/users/:userId', { policy: adminOnly, page: userPage });

  formStep(app, '/admin/users/:userId/roles', {
    policy: adminOnly,
    body: RoleFields,
    page: userPage,
    field: 'roles',
    act: (actor, userId, body, req) => users.changeRoles(pool, actor, userId, roleChoiceFrom(body), req.id),
    next: () => '/admin/users',
  });

  app.post(
    '/admin/users/:userId/deactivate',
    { schema: { params: UserParams, body: NoFields }, config: { policy: adminOnly } },
    async (req, reply) => {
      await users.deactivateUser(pool, signedIn(req), req.params.userId, req.id);
      return reply.redirect('/admin/users', 303);
    },
  );

  async function showPractices(reply: FastifyReply, actor: Actor, { status, values, errors }: FormState = firstVisit(), savedWhat = '') {
    const { practices, organisations } = await users.practicesAndOrganisations(pool, actor);
    // List sizes and populations feed the referral rates on the inequalities report.
    const populations = (await practicePopulations(pool, actor)).map((p) => ({
      ...p,
      entered: POPULATION_DIMENSIONS.filter((d) => p.population.some((x) => x.dimension === d.code)).map((d) =>
        d.label.replace(' of their home', ''),
      ),
    }));
    const saved = populations.find((p) => p.practiceId === savedWhat);
    const notice = savedWhat === 'mesh-mailbox' ? 'The practice’s MESH mailbox was saved.' : '';
    return view(reply, status, 'identity/views/practices.njk', { practices, organisations, values, populations, saved, notice }, errors);
  }

  app.get('/admin/practices', { schema: { querystring: TextQuery('saved') }, config: { policy: adminOnly } }, async (req, reply) =>
    showPractices(reply, signedIn(req), firstVisit(), field(req.query, 'saved')),
  );

  app.post('/admin/practices', { schema: { body: PracticeForm }, config: { policy: adminOnly, oncePerForm: true } }, async (req, reply) => {
    const actor = signedIn(req);
    const values = { odsCode: field(req.body, 'odsCode'), name: field(req.body, 'name'), meshMailboxId: field(req.body, 'meshMailboxId') };
    const added = await attempt(() => users.addPractice(pool, actor, values, req.id), { values });
    if (!added.ok) return showPractices(reply, actor, added.form);
    return reply.redirect('/admin/practices', 303);
  });

  app.post('/admin/practices/mesh-mailbox', { schema: { body: MeshMailboxForm }, config: { policy: adminOnly } }, async (req, reply) => {
    const actor = signedIn(req);
    const values = {
      mailboxPracticeId: field(req.body, 'mailboxPracticeId'),
      practiceMeshMailboxId: field(req.body, 'practiceMeshMailboxId'),
    };
    const mailbox = { practiceId: values.mailboxPracticeId, meshMailboxId: values.practiceMeshMailboxId };
    const saved = await attempt(() => users.setPracticeMeshMailbox(pool, actor, mailbox, req.id), { values });
    if (!saved.ok) {
      // The practices page has two mailbox fields: this form's is named for it.
      const errors = saved.form.errors.map((e) => (e.field === 'meshMailboxId' ? { ...e, field: 'practiceMeshMailboxId' } : e));
      return showPractices(reply, actor, { ...saved.form, errors });
    }
    return reply.redirect('/admin/practices?saved=mesh-mailbox#mesh-mailboxes', 303);
  });

  async function showPopulation(reply: FastifyReply, actor: Actor, practiceId: string, refused?: FormState) {
    const practice = await practicePopulation(pool, actor, practiceId);
    const { status, values, errors } = refused ?? firstVisit(populationValues(practice));
    return view(reply, status, 'identity/views/practice-population.njk', { practice, dimensions: POPULATION_DIMENSIONS, values }, errors);
  }

  async function savePopulation(req: FastifyRequest, reply: FastifyReply, practiceId: string, inPath: boolean) {
    const actor = signedIn(req);
    // A practice in the address that is not this tenant's is not found, whatever the form holds.
    if (inPath) await practicePopulation(pool, actor, practiceId);
    const values: Record<string, string> = Object.fromEntries(POPULATION_FIELDS.map((name) => [name, field(req.body, name)]));
    const saved = await attempt(
      () => setPracticePopulation(pool, actor, { practiceId, listSize: values.listSize, counts: values }, req.id),
      {
        values,
      },
    );
    if (!saved.ok) {
      const known = (await practicePopulations(pool, actor)).some((p) => p.practiceId === practiceId);
      return known ? showPopulation(reply, actor, practiceId, saved.form) : showPractices(reply, actor, saved.form);
    }
    return reply.redirect(`/admin/practices?saved=${encodeURIComponent(practiceId)}#registered-patients`, 303);
  }

  app.get(
    '/admin/practices/:practiceId/population',
    { schema: { params: PracticeParams }, config: { policy: adminOnly } },
    async (req, reply) => showPopulation(reply, signedIn(req), req.params.practiceId),
  );

  app.post(
    '/admin/practices/:practiceId/population',
    { schema: { params: PracticeParams, body: PopulationForm }, config: { policy: adminOnly } },
    async (req, reply) => savePopulation(req, reply, req.params.practiceId, true),
  );

  // The form's first home, kept for anything that still posts the practice in the body.
  app.post(
    '/admin/practices/population',
    { schema: { body: PopulationWithPracticeForm }, config: { policy: adminOnly } },
    async (req, reply) => savePopulation(req, reply, field(req.body, 'practiceId'), false),
  );

  app.get('/admin/audit', { schema: { querystring: AuditQuery }, config: { policy: adminOnly } }, async (req, reply) => {
    const query = req.query;
    const filter = {
      user: field(query, 'user'),
      person: field(query, 'person').trim(),
      from: field(query, 'from'),
      to: field(query, 'to'),
    };
    const result = await users.searchAuditTrail(pool, signedIn(req), filter);
    const userItems = selectItems(
      'Anyone',
      result.users.map((u) => ({ value: u.id, text: `${u.name} (${u.email})` })),
      filter.user,
    );
    return view(
      reply,
      result.errors.length ? 400 : 200,
      'identity/views/audit.njk',
      { values: filter, userItems, events: result.events },
      result.errors,
    );
  });

  app.get('/admin/outbox', { config: { policy: adminOnly } }, async (req, reply) => {
    if (!app.config.demo) throw new NotFound('page');
    return reply.view('identity/views/outbox.njk', { messages: await users.outbox(pool, signedIn(req)) });
  });
};

/** The signed-in person's own account, and the links sent by email. */
export const accountRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  async function showAccount(reply: FastifyReply, actor: Actor, { status, errors }: FormState = firstVisit(), notice?: string) {
    const tenants = await q.tenantsOfUser(pool, actor.userId);
    const tenantName = tenants.find((t) => t.id === actor.tenantId)?.name ?? '';
    return view(
      reply,
      status,
      'identity/views/account.njk',
      { tenantName, tenantCount: tenants.length, roleNames: actor.roles.map((r) => ROLE_NAMES[r]), notice },
      errors,
    );
  }

  app.get('/account', { schema: { querystring: TextQuery('passwordChanged') }, config: { policy: anySignedIn } }, async (req, reply) => {
    const notice = req.query.passwordChanged !== undefined ? 'Your password has been changed.' : undefined;
    return showAccount(reply, signedIn(req), firstVisit(), notice);
  });

  app.post(
    '/account/password',
    { schema: { body: PasswordForm }, config: { policy: anySignedIn, rateLimit: { max: 10, timeWindow: '1 minute' } } },
    async (req, reply) => {
      const actor = signedIn(req);
      const changed = await attempt(() =>
        users.changeOwnPassword(pool, actor, field(req.body, 'current'), field(req.body, 'password'), field(req.body, 'confirm'), req.id),
      );
      if (!changed.ok) return showAccount(reply, actor, changed.form);
      return reply.redirect('/account?passwordChanged', 303);
    },
  );

  const linkPages = [
    { path: '/invitation', purpose: 'invitation' as const, title: 'Set your password', done: '/sign-in?passwordSet' },
    { path: '/reset-password', purpose: 'password_reset' as const, title: 'Choose a new password', done: '/sign-in?passwordSet' },
  ];
  for (const page of linkPages) {
    app.get(page.path, { schema: { querystring: TokenQuery }, config: { policy: publicAccess } }, async (req, reply) => {
      const token = field(req.query, 'token');
      const found = await users.findToken(pool, token, page.purpose);
      if (!found) return linkGone(reply);
      return reply.view('identity/views/set-password.njk', {
        title: page.title,
        action: page.path,
        token,
        name: found.name,
        email: found.email,
        fieldErrors: {},
      });
    });
    app.post(
      page.path,
      { schema: { body: SetPasswordForm }, config: { policy: publicAccess, rateLimit: { max: 10, timeWindow: '1 minute' } } },
      async (req, reply) => {
        const token = field(req.body, 'token');
        try {
          await users.setPasswordWithToken(pool, token, page.purpose, field(req.body, 'password'), field(req.body, 'confirm'), req.id);
        } catch (error) {
          if (error instanceof NotFound) return linkGone(reply);
          if (!(error instanceof InvalidInput)) throw error;
          const found = await users.findToken(pool, token, page.purpose);
          if (!found) return linkGone(reply);
          return view(
            reply,
            400,
            'identity/views/set-password.njk',
            { title: page.title, action: page.path, token, name: found.name, email: found.email },
            error.errors,
          );
        }
        return reply.redirect(page.done, 303);
      },
    );
  }

  const forgottenPasswordPage = (reply: FastifyReply, { status, values, errors }: FormState = firstVisit()) =>
    view(reply, status, 'identity/views/forgotten-password.njk', { values }, errors);

  app.get('/forgotten-password', { config: { policy: publicAccess } }, async (_req, reply) => forgottenPasswordPage(reply));

  app.post(
    '/forgotten-password',
    { schema: { body: EmailForm }, config: { policy: publicAccess, rateLimit: { max: 5, timeWindow: '1 minute' } } },
    async (req, reply) => {
      const email = field(req.body, 'email');
      const requested = await attempt(() => users.requestPasswordReset(pool, email, { baseUrl: app.config.baseUrl, requestId: req.id }), {
        values: { email },
      });
      if (!requested.ok) return forgottenPasswordPage(reply, requested.form);
      return reply.view('identity/views/message.njk', {
        title: 'Check your email',
        paragraphs: [
          'If that email address belongs to a Signpost account, we have sent it a link to set a new password. The link expires after 1 hour.',
          'If nothing arrives, check the address and try again, or ask your Signpost administrator.',
        ],
        link: { href: '/sign-in', text: 'Back to sign in' },
      });
    },
  );
};

function linkGone(reply: FastifyReply) {
  return reply.code(404).view('identity/views/message.njk', {
    title: 'This link has expired or has already been used',
    paragraphs: [
      'Links to set a password work once and expire. Ask your Signpost administrator for a new invitation, or reset your password again.',
    ],
    link: { href: '/forgotten-password', text: 'Reset your password' },
  });
}
