import * as people from '../../../src/people/service.ts';
import { aReferral } from '../../support/referrals-factories.ts';
import { onlyRoles, type AreaAccess } from './types.ts';

const staff = ['link_worker', 'lead'] as const;

/** The person page, editing, merging and consents. */
export const access: AreaAccess = {
  area: 'people',
  async setUp(world) {
    const lead = world.home.users.lead!;
    world.ids.peoplePerson = (
      await aReferral(world.database, lead, { person: { givenName: 'Hugo', familyName: 'Homeperson-People' } })
    ).personId;
    const consented = await aReferral(world.database, lead, { person: { givenName: 'Hilda', familyName: 'Homeperson-Consent' } });
    world.ids.peopleConsentPerson = consented.personId;
    world.ids.peopleConsent = (await people.getPerson(world.database.pool, lead, consented.personId)).consents[0]!.id;
    await aReferral(world.database, world.other.everyRole, { person: { givenName: 'Olive', familyName: 'Otherperson-People' } });
    world.markers.home.push('Homeperson-People', 'Homeperson-Consent');
    world.markers.other.push('Otherperson-People');
  },
  routes: [
    {
      method: 'GET',
      url: '/people/:personId',
      path: (w) => `/people/${w.ids.peoplePerson}`,
      expect: onlyRoles(staff, { otherTenant: 404 }),
    },
    {
      method: 'GET',
      url: '/people/:personId/edit',
      path: (w) => `/people/${w.ids.peoplePerson}/edit`,
      expect: onlyRoles(staff, { otherTenant: 404 }),
    },
    {
      method: 'POST',
      url: '/people/:personId/edit',
      path: (w) => `/people/${w.ids.peoplePerson}/edit`,
      expect: onlyRoles(staff, { ok: 400, otherTenant: 404 }),
    },
    {
      method: 'GET',
      url: '/people/:personId/merge',
      path: (w) => `/people/${w.ids.peoplePerson}/merge`,
      expect: onlyRoles(staff, { otherTenant: 404 }),
    },
    {
      method: 'POST',
      url: '/people/:personId/merge',
      path: (w) => `/people/${w.ids.peoplePerson}/merge`,
      expect: onlyRoles(staff, { ok: 400, otherTenant: 404 }),
    },
    // The first member of staff records research consent (303); a second active one is refused (409).
    {
      method: 'POST',
      url: '/people/:personId/consents/research',
      path: (w) => `/people/${w.ids.peoplePerson}/consents/research`,
      expect: onlyRoles(staff, { ok: [303, 409], otherTenant: 404 }),
    },
    // The link worker withdraws it (303); it is then no longer there to withdraw (404).
    {
      method: 'POST',
      url: '/people/:personId/consents/:consentId/withdraw',
      path: (w) => `/people/${w.ids.peopleConsentPerson}/consents/${w.ids.peopleConsent}/withdraw`,
      form: () => ({ reason: 'Asked us to stop' }),
      expect: onlyRoles(staff, { ok: [303, 404], otherTenant: 404 }),
    },
  ],
};
