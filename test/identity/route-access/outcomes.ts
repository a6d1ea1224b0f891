import { recordAdministration } from '../../../src/outcomes/service.ts';
import { answersForm } from '../../support/outcomes-factories.ts';
import { anEpisodeInContact } from '../../support/plans-factories.ts';
import { everyone, onlyRoles, type AreaAccess } from './types.ts';

const staff = ['link_worker', 'lead'] as const;
const onHome = (ok: number) => onlyRoles(staff, { ok, otherTenant: 404 });

/** Outcome measures on a referral, and the person's public page behind a link token. */
export const access: AreaAccess = {
  area: 'outcomes',
  async setUp(world) {
    const home = world.home.users;
    const team = { lead: home.lead!, worker: home.link_worker! };
    const episode = await anEpisodeInContact(world.database, team, { givenName: 'Orla', familyName: 'Homeperson-Outcomes' });
    await recordAdministration(world.database.pool, team.worker, episode.referralId, {
      instrument: 'swemwbs',
      timepoint: 'baseline',
      answers: answersForm('swemwbs', [2, 3, 2, 3, 2, 3, 2]),
    });
    world.ids.outcomeReferral = episode.referralId;
    const otherTeam = { lead: world.other.everyRole, worker: world.other.everyRole };
    const otherEpisode = await anEpisodeInContact(world.database, otherTeam, { givenName: 'Osric', familyName: 'Otherperson-Outcomes' });
    await recordAdministration(world.database.pool, world.other.everyRole, otherEpisode.referralId, {
      instrument: 'ons4',
      timepoint: 'baseline',
      answers: answersForm('ons4', [4, 5, 6, 7]),
    });
    world.markers.home.push('Homeperson-Outcomes');
    world.markers.other.push('Otherperson-Outcomes');
  },
  routes: [
    {
      method: 'GET',
      url: '/referrals/:referralId/outcomes',
      path: (w) => `/referrals/${w.ids.outcomeReferral}/outcomes`,
      expect: onHome(200),
    },
    {
      method: 'GET',
      url: '/referrals/:referralId/outcomes/new',
      path: (w) => `/referrals/${w.ids.outcomeReferral}/outcomes/new?instrument=ucla3&timepoint=baseline`,
      expect: onHome(200),
    },
    {
      method: 'POST',
      url: '/referrals/:referralId/outcomes/check',
      path: (w) => `/referrals/${w.ids.outcomeReferral}/outcomes/check`,
      expect: onHome(400),
    },
    {
      method: 'POST',
      url: '/referrals/:referralId/outcomes',
      path: (w) => `/referrals/${w.ids.outcomeReferral}/outcomes`,
      expect: onHome(400),
    },
    {
      method: 'POST',
      url: '/referrals/:referralId/outcome-links',
      path: (w) => `/referrals/${w.ids.outcomeReferral}/outcome-links`,
      expect: onHome(400),
    },
    // Public, by token only: an unknown token is a 404 for everyone and names no one.
    {
      method: 'GET',
      url: '/outcomes/complete/:token',
      path: () => '/outcomes/complete/NoSuchTokenNoSuchTokenNoSuchToken12345678',
      expect: everyone(404),
    },
    {
      method: 'POST',
      url: '/outcomes/complete/:token',
      path: () => '/outcomes/complete/NoSuchTokenNoSuchTokenNoSuchToken12345678',
      expect: everyone(404),
    },
  ],
};
