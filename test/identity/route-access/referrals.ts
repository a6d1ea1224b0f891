import * as referrals from '../../../src/referrals/service.ts';
import { aReferral, aTestNhsNumber } from '../../support/referrals-factories.ts';
import { everyone, onlyRoles, type AreaAccess, type Caller, type Expected } from './types.ts';

const intake = ['referrer', 'link_worker', 'lead'] as const;
const staff = ['link_worker', 'lead'] as const;

/** A draft belongs to the referrer who started it: anyone else in the tenant gets a 404. */
function draftOwnerOnly(ok: Expected): Record<Caller, Expected> {
  return { ...onlyRoles(intake, { ok, otherTenant: 404 }), link_worker: 404, lead: 404 };
}

/** Referral intake (staff and public), triage, allocation, caseload and contacts. */
export const access: AreaAccess = {
  area: 'referrals',
  async setUp(world) {
    const home = world.home.users;
    const lead = home.lead!;
    const nhsNumber = aTestNhsNumber();
    const shown = await aReferral(world.database, lead, { person: { nhsNumber, givenName: 'Hermione', familyName: 'Homeperson-Matrix' } });
    world.ids.referral = shown.referralId;
    world.ids.acceptReferral = (
      await aReferral(world.database, lead, { person: { givenName: 'Hester', familyName: 'Homeperson-Accept' } })
    ).referralId;
    world.ids.statusReferral = (
      await aReferral(world.database, lead, { person: { givenName: 'Horace', familyName: 'Homeperson-Status' } })
    ).referralId;
    // A complete draft by the home referrer whose person matches an existing record, so sending
    // it without choosing a record is refused (400) and the draft stays for every caller.
    world.ids.draft = await referrals.startDraft(world.database.pool, home.referrer!, {
      person: {
        givenName: 'Hermione',
        familyName: 'Homeperson-Matrix',
        nhsNumber,
        'dateOfBirth[day]': '4',
        'dateOfBirth[month]': '5',
        'dateOfBirth[year]': '1970',
      },
      reason: { source: 'gp', reasons: ['loneliness'], urgency: 'routine' },
      consent: { consentToRefer: 'yes', consentToShare: 'yes' },
    });
    // A referral held for a lead to match (as every public self-referral is).
    world.ids.heldReferral = (
      await aReferral(world.database, lead, { person: { givenName: 'Hedda', familyName: 'Homeperson-Held' }, personChoice: 'unmatched' })
    ).referralId;
    // Made by the home referrer: their own referral's status page.
    world.ids.referrerReferral = (
      await aReferral(world.database, home.referrer!, { person: { givenName: 'Harriet', familyName: 'Homeperson-Referred' } })
    ).referralId;
    const otherLead = world.other.everyRole;
    await aReferral(world.database, otherLead, { person: { givenName: 'Oswald', familyName: 'Otherperson-Matrix' } });
    // Edit forms carry the version the page showed.
    for (const key of ['referral', 'acceptReferral', 'statusReferral']) {
      const { rows } = await world.database.pool.query<{ version: number }>('SELECT version FROM referral WHERE id = $1', [world.ids[key]]);
      world.ids[`${key}Version`] = String(rows[0]!.version);
    }
    world.markers.home.push('Homeperson-Matrix', 'Homeperson-Accept', 'Homeperson-Status', 'Homeperson-Held', 'Homeperson-Referred');
    world.markers.other.push('Otherperson-Matrix');
  },
  routes: [
    { method: 'GET', url: '/referrals/new', expect: onlyRoles(intake) },
    { method: 'POST', url: '/referrals/new', expect: onlyRoles(intake, { ok: 400 }) },
    {
      method: 'GET',
      url: '/referrals/new/:draftId/person',
      path: (w) => `/referrals/new/${w.ids.draft}/person`,
      expect: draftOwnerOnly(200),
    },
    {
      method: 'POST',
      url: '/referrals/new/:draftId/person',
      path: (w) => `/referrals/new/${w.ids.draft}/person`,
      expect: draftOwnerOnly(400),
    },
    {
      method: 'GET',
      url: '/referrals/new/:draftId/reason',
      path: (w) => `/referrals/new/${w.ids.draft}/reason`,
      expect: draftOwnerOnly(200),
    },
    {
      method: 'POST',
      url: '/referrals/new/:draftId/reason',
      path: (w) => `/referrals/new/${w.ids.draft}/reason`,
      expect: draftOwnerOnly(400),
    },
    {
      method: 'GET',
      url: '/referrals/new/:draftId/consent',
      path: (w) => `/referrals/new/${w.ids.draft}/consent`,
      expect: draftOwnerOnly(200),
    },
    {
      method: 'POST',
      url: '/referrals/new/:draftId/consent',
      path: (w) => `/referrals/new/${w.ids.draft}/consent`,
      expect: draftOwnerOnly(400),
    },
    {
      method: 'GET',
      url: '/referrals/new/:draftId/check',
      path: (w) => `/referrals/new/${w.ids.draft}/check`,
      expect: draftOwnerOnly(200),
    },
    {
      method: 'POST',
      url: '/referrals/new/:draftId/check',
      path: (w) => `/referrals/new/${w.ids.draft}/check`,
      expect: draftOwnerOnly(400),
    },
    { method: 'GET', url: '/referrals/sent', path: () => '/referrals/sent?reference=SP-ABCD1234', expect: onlyRoles(intake) },
    { method: 'GET', url: '/refer-yourself', expect: everyone(200) },
    { method: 'POST', url: '/refer-yourself', expect: everyone(400) },
    { method: 'POST', url: '/refer-yourself/send', expect: everyone(400) },
    // Change from the check page: the form again, filled in with what was posted.
    { method: 'POST', url: '/refer-yourself/change', expect: everyone(200) },
    { method: 'GET', url: '/refer-yourself/sent', path: () => '/refer-yourself/sent?reference=SP-ABCD2345', expect: everyone(200) },
    { method: 'GET', url: '/triage', expect: onlyRoles(['lead']) },
    {
      method: 'GET',
      url: '/triage/:referralId/match',
      path: (w) => `/triage/${w.ids.heldReferral}/match`,
      expect: onlyRoles(['lead'], { otherTenant: 404 }),
    },
    // An empty form: the lead is asked to choose (400), nothing decided.
    {
      method: 'POST',
      url: '/triage/:referralId/match',
      path: (w) => `/triage/${w.ids.heldReferral}/match`,
      expect: onlyRoles(['lead'], { ok: 400, otherTenant: 404 }),
    },
    { method: 'GET', url: '/caseload', expect: onlyRoles(staff) },
    { method: 'GET', url: '/my-referrals', expect: onlyRoles(['referrer']) },
    {
      method: 'GET',
      url: '/my-referrals/:referralId',
      path: (w) => `/my-referrals/${w.ids.referrerReferral}`,
      expect: onlyRoles(['referrer'], { otherTenant: 404 }),
    },
    // An empty form: nothing selected (400), nothing changed.
    { method: 'POST', url: '/triage/bulk', expect: onlyRoles(['lead'], { ok: 400 }) },
    {
      method: 'GET',
      url: '/referrals/:referralId',
      path: (w) => `/referrals/${w.ids.referral}`,
      expect: onlyRoles(staff, { otherTenant: 404 }),
    },
    // The lead accepts it (303); by then nobody else may.
    {
      method: 'POST',
      url: '/referrals/:referralId/accept',
      path: (w) => `/referrals/${w.ids.acceptReferral}/accept`,
      form: (w) => ({ version: w.ids.acceptReferralVersion! }),
      expect: onlyRoles(['lead'], { ok: 303, otherTenant: 404 }),
    },
    // The link worker withdraws it (303); the lead then finds it closed (409).
    {
      method: 'POST',
      url: '/referrals/:referralId/status',
      path: (w) => `/referrals/${w.ids.statusReferral}/status`,
      form: (w) => ({ status: 'withdrawn', reason: 'Entered twice', version: w.ids.statusReferralVersion! }),
      expect: onlyRoles(staff, { ok: [303, 409], otherTenant: 404 }),
    },
    // Not a held referral attached to an existing record: nothing to confirm (409).
    {
      method: 'POST',
      url: '/referrals/:referralId/confirmed-consents',
      path: (w) => `/referrals/${w.ids.referral}/confirmed-consents`,
      expect: onlyRoles(staff, { ok: 409, otherTenant: 404 }),
    },
    // A new referral cannot be marked unable to contact.
    {
      method: 'POST',
      url: '/referrals/:referralId/unable-to-contact',
      path: (w) => `/referrals/${w.ids.referral}/unable-to-contact`,
      form: (w) => ({ version: w.ids.referralVersion! }),
      expect: onlyRoles(staff, { ok: 409, otherTenant: 404 }),
    },
    // No version from the form: refused (400), nothing changed; another tenant's referral is still a 404.
    {
      method: 'POST',
      url: '/referrals/:referralId/next-action',
      path: (w) => `/referrals/${w.ids.referral}/next-action`,
      form: () => ({ nextAction: 'Ring', due: '2030-01-01' }),
      expect: onlyRoles(staff, { ok: 400, otherTenant: 404 }),
    },
    {
      method: 'GET',
      url: '/referrals/:referralId/not-suitable',
      path: (w) => `/referrals/${w.ids.referral}/not-suitable`,
      expect: onlyRoles(['lead'], { otherTenant: 404 }),
    },
    {
      method: 'POST',
      url: '/referrals/:referralId/not-suitable',
      path: (w) => `/referrals/${w.ids.referral}/not-suitable`,
      expect: onlyRoles(['lead'], { ok: 400, otherTenant: 404 }),
    },
    {
      method: 'GET',
      url: '/referrals/:referralId/allocate',
      path: (w) => `/referrals/${w.ids.referral}/allocate`,
      expect: onlyRoles(['lead'], { otherTenant: 404 }),
    },
    {
      method: 'POST',
      url: '/referrals/:referralId/allocate',
      path: (w) => `/referrals/${w.ids.referral}/allocate`,
      expect: onlyRoles(['lead'], { ok: 400, otherTenant: 404 }),
    },
    {
      method: 'GET',
      url: '/referrals/:referralId/contacts/new',
      path: (w) => `/referrals/${w.ids.referral}/contacts/new`,
      expect: onlyRoles(staff, { otherTenant: 404 }),
    },
    {
      method: 'POST',
      url: '/referrals/:referralId/contacts',
      path: (w) => `/referrals/${w.ids.referral}/contacts`,
      expect: onlyRoles(staff, { ok: 400, otherTenant: 404 }),
    },
  ],
};
