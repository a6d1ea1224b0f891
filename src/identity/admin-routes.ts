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
import { DomainError, Forbidden, InvalidInput, NotFound } from '../web/errors.ts';
import { ROLES, type Actor, type Role } from './actor.ts';
import { anySignedIn, publicAccess, rolePolicy } from './policy.ts';
import * as q from './queries.ts';
import * as users from './users.ts';
import { field, fields, ROLE_NAMES } from './web.ts';
import { view } from '../web/pages.ts';
import { FormBody, IdParams, Text, TextOrList, TextQuery } from '../web/schemas.ts';

const adminOnly = rolePolicy('admin', 'admin');

const UserParams = IdParams('userId');
const PracticeParams = IdParams('practiceId');
const RoleFields = { roles: TextOrList(), practiceId: Text(), providerOrganisationId: Text() };
const InviteForm = FormBody({ ...RoleFields, email: Text(), name: Text() });
const RolesForm = FormBody(RoleFields);
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

function signedIn(actor: Actor | undefined): Actor {
  if (!actor) throw new Forbidden();
  return actor;
}

function roleFieldItems(
  choice: users.RoleChoice,
  practices: { id: string; name: string; odsCode: string }[],
  organisations: { id: string; name: string }[],
) {
  return {
    roleItems: ROLES.map((role) => ({ value: role, text: ROLE_NAMES[role], checked: choice.roles.includes(role) })),
    practiceItems: [
      { value: '', text: 'None' },
      ...practices.map((p) => ({ value: p.id, text: `${p.name} (${p.odsCode})`, selected: p.id === choice.practiceId })),
    ],
    organisationItems: [
      { value: '', text: 'None' },
      ...organisations.map((o) => ({ value: o.id, text: o.name, selected: o.id === choice.providerOrganisationId })),
    ],
  };
}

function roleChoiceFrom(body: unknown): users.RoleChoice {
  return {
    roles: fields(body, 'roles') as Role[],
    practiceId: field(body, 'practiceId') || null,
    providerOrganisationId: field(body, 'providerOrganisationId') || null,
  };
}

const withNames = <T extends { roles: Role[] }>(list: T[]) =>
  list.map((u) => ({ ...u, roleNames: u.roles.map((r) => ROLE_NAMES[r] ?? r) }));

/** Users, roles, the audit trail and (in demo mode) the outbox, for a tenant's admins. */
export const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  app.get('/admin/users', { config: { policy: adminOnly } }, async (req, reply) => {
    const { users: list } = await users.listUsers(pool, signedIn(req.actor));
    return reply.view('identity/views/users.njk', { users: withNames(list) });
  });

  app.get('/admin/users/invite', { config: { policy: adminOnly } }, async (req, reply) => {
    const { practices, organisations } = await users.practicesAndOrganisations(pool, signedIn(req.actor));
    return reply.view('identity/views/invite.njk', {
      values: {},
      fieldErrors: {},
      ...roleFieldItems({ roles: [], practiceId: null, providerOrganisationId: null }, practices, organisations),
    });
  });

  app.post(
    '/admin/users/invite',
    { schema: { body: InviteForm }, config: { policy: adminOnly, oncePerForm: true } },
    async (req, reply) => {
      const actor = signedIn(req.actor);
      const input = { ...roleChoiceFrom(req.body), email: field(req.body, 'email'), name: field(req.body, 'name') };
      try {
        await users.inviteUser(pool, actor, input, { baseUrl: app.config.baseUrl, requestId: req.id });
      } catch (error) {
        if (!(error instanceof InvalidInput) && !(error instanceof DomainError && error.status === 409)) throw error;
        const { practices, organisations } = await users.practicesAndOrganisations(pool, actor);
        const errors = error instanceof InvalidInput ? error.errors : [{ field: error.field ?? 'email', message: error.message }];
        return view(
          reply,
          error.status,
          'identity/views/invite.njk',
          { values: { email: input.email, name: input.name }, ...roleFieldItems(input, practices, organisations) },
          errors,
        );
      }
      return reply.redirect('/admin/users', 303);
    },
  );

  async function showUser(
    reply: FastifyReply,
    actor: Actor,
    userId: string,
    status = 200,
    choice?: users.RoleChoice,
    errors: { field: string; message: string }[] = [],
  ) {
    const { user, practices, organisations } = await users.getUser(pool, actor, userId);
    const current = choice ?? { roles: user.roles, practiceId: user.practiceId, providerOrganisationId: user.providerOrganisationId };
    return view(reply, status, 'identity/views/user.njk', { user, ...roleFieldItems(current, practices, organisations) }, errors);
  }

  app.get('/admin/users/:userId', { schema: { params: UserParams }, config: { policy: adminOnly } }, async (req, reply) => {
    return showUser(reply, signedIn(req.actor), req.params.userId);
  });

  app.post(
    '/admin/users/:userId/roles',
    { schema: { params: UserParams, body: RolesForm }, config: { policy: adminOnly } },
    async (req, reply) => {
      const actor = signedIn(req.actor);
      const { userId } = req.params;
      const choice = roleChoiceFrom(req.body);
      try {
        await users.changeRoles(pool, actor, userId, choice, req.id);
      } catch (error) {
        if (error instanceof InvalidInput) return showUser(reply, actor, userId, 400, choice, error.errors);
        if (error instanceof DomainError && error.status === 409)
          return showUser(reply, actor, userId, 409, choice, [{ field: 'roles', message: error.message }]);
        throw error;
      }
      return reply.redirect('/admin/users', 303);
    },
  );

  app.post(
    '/admin/users/:userId/deactivate',
    { schema: { params: UserParams, body: NoFields }, config: { policy: adminOnly } },
    async (req, reply) => {
      await users.deactivateUser(pool, signedIn(req.actor), req.params.userId, req.id);
      return reply.redirect('/admin/users', 303);
    },
  );

  async function showPractices(
    reply: FastifyReply,
    actor: Actor,
    status = 200,
    values: Record<string, string> = {},
    errors: { field: string; message: string }[] = [],
    savedWhat = '',
  ) {
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
    showPractices(reply, signedIn(req.actor), 200, {}, [], field(req.query, 'saved')),
  );

  app.post('/admin/practices', { schema: { body: PracticeForm }, config: { policy: adminOnly, oncePerForm: true } }, async (req, reply) => {
    const actor = signedIn(req.actor);
    const values = { odsCode: field(req.body, 'odsCode'), name: field(req.body, 'name'), meshMailboxId: field(req.body, 'meshMailboxId') };
    try {
      await users.addPractice(pool, actor, values, req.id);
    } catch (error) {
      if (error instanceof InvalidInput) return showPractices(reply, actor, 400, values, error.errors);
      throw error;
    }
    return reply.redirect('/admin/practices', 303);
  });

  app.post('/admin/practices/mesh-mailbox', { schema: { body: MeshMailboxForm }, config: { policy: adminOnly } }, async (req, reply) => {
    const actor = signedIn(req.actor);
    const values = {
      mailboxPracticeId: field(req.body, 'mailboxPracticeId'),
      practiceMeshMailboxId: field(req.body, 'practiceMeshMailboxId'),
    };
    try {
      await users.setPracticeMeshMailbox(
        pool,
        actor,
        { practiceId: values.mailboxPracticeId, meshMailboxId: values.practiceMeshMailboxId },
        req.id,
      );
    } catch (error) {
      if (error instanceof InvalidInput) {
        return showPractices(
          reply,
          actor,
          400,
          values,
          error.errors.map((e) => (e.field === 'meshMailboxId' ? { ...e, field: 'practiceMeshMailboxId' } : e)),
        );
      }
      throw error;
    }
    return reply.redirect('/admin/practices?saved=mesh-mailbox#mesh-mailboxes', 303);
  });

  async function showPopulation(
    reply: FastifyReply,
    actor: Actor,
    practiceId: string,
    status = 200,
    typed?: Record<string, string>,
    errors: { field: string; message: string }[] = [],
  ) {
    const practice = await practicePopulation(pool, actor, practiceId);
    return view(
      reply,
      status,
      'identity/views/practice-population.njk',
      { practice, dimensions: POPULATION_DIMENSIONS, values: typed ?? populationValues(practice) },
      errors,
    );
  }

  async function savePopulation(req: FastifyRequest, reply: FastifyReply, practiceId: string, inPath: boolean) {
    const actor = signedIn(req.actor);
    // A practice in the address that is not this tenant's is not found, whatever the form holds.
    if (inPath) await practicePopulation(pool, actor, practiceId);
    const values: Record<string, string> = Object.fromEntries(POPULATION_FIELDS.map((name) => [name, field(req.body, name)]));
    try {
      await setPracticePopulation(pool, actor, { practiceId, listSize: values.listSize, counts: values }, req.id);
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      const known = (await practicePopulations(pool, actor)).some((p) => p.practiceId === practiceId);
      return known
        ? showPopulation(reply, actor, practiceId, 400, values, error.errors)
        : showPractices(reply, actor, 400, values, error.errors);
    }
    return reply.redirect(`/admin/practices?saved=${encodeURIComponent(practiceId)}#registered-patients`, 303);
  }

  app.get(
    '/admin/practices/:practiceId/population',
    { schema: { params: PracticeParams }, config: { policy: adminOnly } },
    async (req, reply) => showPopulation(reply, signedIn(req.actor), req.params.practiceId),
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
    const result = await users.searchAuditTrail(pool, signedIn(req.actor), filter);
    const userItems = [
      { value: '', text: 'Anyone' },
      ...result.users.map((u) => ({ value: u.id, text: `${u.name} (${u.email})`, selected: u.id === filter.user })),
    ];
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
    return reply.view('identity/views/outbox.njk', { messages: await users.outbox(pool, signedIn(req.actor)) });
  });
};

/** The signed-in person's own account, and the links sent by email. */
export const accountRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = app.database.pool;

  async function showAccount(
    reply: FastifyReply,
    actor: Actor,
    status = 200,
    errors: { field: string; message: string }[] = [],
    notice?: string,
  ) {
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
    return showAccount(reply, signedIn(req.actor), 200, [], notice);
  });

  app.post(
    '/account/password',
    { schema: { body: PasswordForm }, config: { policy: anySignedIn, rateLimit: { max: 10, timeWindow: '1 minute' } } },
    async (req, reply) => {
      const actor = signedIn(req.actor);
      try {
        await users.changeOwnPassword(
          pool,
          actor,
          field(req.body, 'current'),
          field(req.body, 'password'),
          field(req.body, 'confirm'),
          req.id,
        );
      } catch (error) {
        if (error instanceof InvalidInput) return showAccount(reply, actor, 400, error.errors);
        throw error;
      }
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

  app.get('/forgotten-password', { config: { policy: publicAccess } }, async (_req, reply) => {
    return reply.view('identity/views/forgotten-password.njk', { values: {}, fieldErrors: {} });
  });

  app.post(
    '/forgotten-password',
    { schema: { body: EmailForm }, config: { policy: publicAccess, rateLimit: { max: 5, timeWindow: '1 minute' } } },
    async (req, reply) => {
      const email = field(req.body, 'email');
      try {
        await users.requestPasswordReset(pool, email, { baseUrl: app.config.baseUrl, requestId: req.id });
      } catch (error) {
        if (error instanceof InvalidInput)
          return view(reply, 400, 'identity/views/forgotten-password.njk', { values: { email } }, error.errors);
        throw error;
      }
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
