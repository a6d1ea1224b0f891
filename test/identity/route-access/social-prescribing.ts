import { dischargeReferral } from '../../../src/discharge/service.ts';
import { raiseConcern } from '../../../src/assessment/service.ts';
import { addGoal } from '../../../src/plans/service.ts';
import { createOnwardReferral } from '../../../src/social-prescriptions/service.ts';
import { allocateReferral, recordContact } from '../../../src/referrals/service.ts';
import { aProviderService, anEpisodeInContact } from '../../support/plans-factories.ts';
import { anActor } from '../../support/factories.ts';
import { aContact, aReferral } from '../../support/referrals-factories.ts';
import { onlyRoles, type AreaAccess } from './types.ts';

const staff = ['link_worker', 'lead'] as const;
const onHome = (ok: number | number[] = 200) => onlyRoles(staff, { ok, otherTenant: 404 });
const forProvider = (ok: number) => onlyRoles(['provider'], { ok, otherTenant: 404 });

/** Assessment, safeguarding, plans, social prescriptions, the provider inbox and discharge. */
export const access: AreaAccess = {
  area: 'social-prescribing',
  async setUp(world) {
    const home = world.home.users;
    const team = { lead: home.lead!, worker: home.link_worker! };
    const service = await aProviderService(world.database, home.provider!, { name: 'Homeservice Allotment Club' });
    const episode = await anEpisodeInContact(world.database, team, { givenName: 'Hestia', familyName: 'Homeperson-Social' });
    world.ids.spReferral = episode.referralId;
    world.ids.concern = await raiseConcern(world.database.pool, team.worker, episode.referralId, 'Homeconcern text');
    world.ids.goal = await addGoal(world.database.pool, team.worker, episode.referralId, { goal: 'Homegoal allotment weekly' });
    world.ids.onward = (
      await createOnwardReferral(world.database.pool, team.worker, episode.referralId, {
        kind: 'refer',
        serviceId: service.id,
        consent: true,
      })
    ).id;
    // Sent to another organisation in the same tenant: the home provider user must get a 404.
    const elsewhere = await anActor(world.database, { tenantId: world.home.tenantId, roles: ['provider'] });
    const elsewhereService = await aProviderService(world.database, elsewhere, { name: 'Homeservice Elsewhere' });
    world.ids.otherOrganisationOnward = (
      await createOnwardReferral(world.database.pool, team.worker, episode.referralId, {
        kind: 'refer',
        serviceId: elsewhereService.id,
        consent: true,
      })
    ).id;

    const discharged = await aReferral(world.database, home.referrer!, {
      person: { givenName: 'Hugo', familyName: 'Homeperson-Discharged' },
    });
    await allocateReferral(world.database.pool, team.lead, discharged.referralId, { linkWorkerId: team.worker.userId });
    await recordContact(world.database.pool, team.worker, discharged.referralId, aContact({ outcome: 'made' }));
    world.ids.discharge = await dischargeReferral(world.database.pool, team.worker, discharged.referralId, {
      reason: 'person_chose_to_end',
      summary: 'Homesummary of support',
    });
    world.ids.dischargedReferral = discharged.referralId;

    const otherTeam = { lead: world.other.everyRole, worker: world.other.everyRole };
    const otherService = await aProviderService(world.database, world.other.everyRole, { name: 'Otherservice Walking Group' });
    const otherEpisode = await anEpisodeInContact(world.database, otherTeam, { givenName: 'Olga', familyName: 'Otherperson-Social' });
    await createOnwardReferral(world.database.pool, world.other.everyRole, otherEpisode.referralId, {
      kind: 'refer',
      serviceId: otherService.id,
      consent: true,
    });
    world.markers.home.push(
      'Homeperson-Social',
      'Homeconcern text',
      'Homegoal allotment weekly',
      'Homeperson-Discharged',
      'Homesummary of support',
    );
    world.markers.other.push('Otherperson-Social');
  },
  routes: [
    { method: 'GET', url: '/referrals/:referralId/support', path: (w) => `/referrals/${w.ids.spReferral}/support`, expect: onHome() },
    { method: 'GET', url: '/referrals/:referralId/assessment', path: (w) => `/referrals/${w.ids.spReferral}/assessment`, expect: onHome() },
    {
      method: 'POST',
      url: '/referrals/:referralId/assessment',
      path: (w) => `/referrals/${w.ids.spReferral}/assessment`,
      expect: onHome(400),
    },
    {
      method: 'GET',
      url: '/referrals/:referralId/safeguarding',
      path: (w) => `/referrals/${w.ids.spReferral}/safeguarding`,
      expect: onHome(),
    },
    {
      method: 'POST',
      url: '/referrals/:referralId/safeguarding',
      path: (w) => `/referrals/${w.ids.spReferral}/safeguarding`,
      expect: onHome(400),
    },
    { method: 'GET', url: '/safeguarding', expect: onlyRoles(['lead']) },
    {
      method: 'POST',
      url: '/safeguarding/:concernId/action',
      path: (w) => `/safeguarding/${w.ids.concern}/action`,
      expect: onlyRoles(['lead'], { ok: 400, otherTenant: 404 }),
    },
    { method: 'POST', url: '/referrals/:referralId/goals', path: (w) => `/referrals/${w.ids.spReferral}/goals`, expect: onHome(400) },
    { method: 'POST', url: '/goals/:goalId/progress', path: (w) => `/goals/${w.ids.goal}/progress`, expect: onHome(400) },
    { method: 'GET', url: '/referrals/:referralId/plan', path: (w) => `/referrals/${w.ids.spReferral}/plan`, expect: onHome() },
    { method: 'GET', url: '/referrals/:referralId/plan.pdf', path: (w) => `/referrals/${w.ids.spReferral}/plan.pdf`, expect: onHome() },
    { method: 'GET', url: '/referrals/:referralId/onward/new', path: (w) => `/referrals/${w.ids.spReferral}/onward/new`, expect: onHome() },
    { method: 'POST', url: '/referrals/:referralId/onward', path: (w) => `/referrals/${w.ids.spReferral}/onward`, expect: onHome(400) },
    // Sent through Signpost: only the provider answers it, so a link worker's answer is refused.
    {
      method: 'POST',
      url: '/onward-referrals/:onwardId/response',
      path: (w) => `/onward-referrals/${w.ids.onward}/response`,
      expect: onHome(409),
    },
    {
      method: 'POST',
      url: '/onward-referrals/:onwardId/follow-up',
      path: (w) => `/onward-referrals/${w.ids.onward}/follow-up`,
      expect: onHome(400),
    },
    { method: 'GET', url: '/onward-referrals/:onwardId/letter', path: (w) => `/onward-referrals/${w.ids.onward}/letter`, expect: onHome() },
    { method: 'GET', url: '/responses', expect: onlyRoles(staff) },
    { method: 'GET', url: '/follow-ups', expect: onlyRoles(staff) },
    { method: 'GET', url: '/provider/inbox', expect: onlyRoles(['provider']) },
    { method: 'GET', url: '/provider/referrals/:onwardId', path: (w) => `/provider/referrals/${w.ids.onward}`, expect: forProvider(200) },
    {
      method: 'POST',
      url: '/provider/referrals/:onwardId/respond',
      path: (w) => `/provider/referrals/${w.ids.onward}/respond`,
      expect: forProvider(400),
    },
    // Cross-organisation: a referral sent to another provider organisation is a 404 for this one.
    {
      method: 'POST',
      url: '/provider/referrals/:onwardId/attendance',
      path: (w) => `/provider/referrals/${w.ids.otherOrganisationOnward}/attendance`,
      expect: forProvider(404),
    },
    { method: 'GET', url: '/referrals/:referralId/discharge', path: (w) => `/referrals/${w.ids.spReferral}/discharge`, expect: onHome() },
    {
      method: 'POST',
      url: '/referrals/:referralId/discharge',
      path: (w) => `/referrals/${w.ids.spReferral}/discharge`,
      expect: onHome(400),
    },
    {
      method: 'POST',
      url: '/referrals/:referralId/discharge/check',
      path: (w) => `/referrals/${w.ids.spReferral}/discharge/check`,
      expect: onHome(400),
    },
    {
      method: 'POST',
      url: '/referrals/:referralId/discharge/change',
      path: (w) => `/referrals/${w.ids.spReferral}/discharge/change`,
      expect: onHome(),
    },
    // The matrix's app has no MESH: staff on the home tenant are told it is not set up.
    {
      method: 'POST',
      url: '/referrals/:referralId/gp-record/send',
      path: (w) => `/referrals/${w.ids.dischargedReferral}/gp-record/send`,
      expect: onHome(409),
    },
    {
      method: 'GET',
      url: '/discharge-summaries/:dischargeId',
      path: (w) => `/discharge-summaries/${w.ids.discharge}`,
      expect: onlyRoles(['referrer', ...staff], { otherTenant: 404 }),
    },
    {
      method: 'GET',
      url: '/discharge-summaries/:dischargeId/pdf',
      path: (w) => `/discharge-summaries/${w.ids.discharge}/pdf`,
      expect: onlyRoles(['referrer', ...staff], { otherTenant: 404 }),
    },
    { method: 'GET', url: '/my-referrals/discharge-summaries', expect: onlyRoles(['referrer']) },
  ],
};
