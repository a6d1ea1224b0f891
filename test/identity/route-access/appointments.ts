import { bookAppointment } from '../../../src/appointments/service.ts';
import { localDate } from '../../../src/calendar/london.ts';
import { anEpisodeInContact } from '../../support/plans-factories.ts';
import { onlyRoles, type AreaAccess } from './types.ts';

const staff = ['link_worker', 'lead'] as const;
const onHome = (ok: number | number[]) => onlyRoles(staff, { ok, otherTenant: 404 });
const inTwoDays = () => localDate(new Date(Date.now() + 2 * 86_400_000));

/** A referral's appointments with the person. */
export const access: AreaAccess = {
  area: 'appointments',
  async setUp(world) {
    const home = world.home.users;
    const team = { lead: home.lead!, worker: home.link_worker! };
    const episode = await anEpisodeInContact(world.database, team, { givenName: 'Aled', familyName: 'Homeperson-Appointments' });
    world.ids.appointmentReferral = episode.referralId;
    world.ids.appointment = (
      await bookAppointment(world.database.pool, team.worker, episode.referralId, {
        date: inTwoDays(),
        time: '10:00',
        mode: 'face_to_face',
        place: 'Homeplace Surgery',
      })
    ).id;
    const otherTeam = { lead: world.other.everyRole, worker: world.other.everyRole };
    const otherEpisode = await anEpisodeInContact(world.database, otherTeam, { givenName: 'Odin', familyName: 'Otherperson-Appointments' });
    await bookAppointment(world.database.pool, world.other.everyRole, otherEpisode.referralId, {
      date: inTwoDays(),
      time: '10:00',
      mode: 'face_to_face',
      place: 'Otherplace Surgery',
    });
    world.markers.home.push('Homeperson-Appointments', 'Homeplace Surgery');
    world.markers.other.push('Otherperson-Appointments', 'Otherplace Surgery');
  },
  routes: [
    { method: 'GET', url: '/appointments', expect: onlyRoles(['link_worker']) },
    { method: 'GET', url: '/appointments/calendar.ics', expect: onlyRoles(['link_worker']) },
    {
      method: 'GET',
      url: '/referrals/:referralId/appointments',
      path: (w) => `/referrals/${w.ids.appointmentReferral}/appointments`,
      expect: onHome(200),
    },
    // An empty form: every field is missing.
    {
      method: 'POST',
      url: '/referrals/:referralId/appointments',
      path: (w) => `/referrals/${w.ids.appointmentReferral}/appointments`,
      expect: onHome(400),
    },
    // The first caller allowed cancels it; later ones are told it was already cancelled.
    {
      method: 'POST',
      url: '/referrals/:referralId/appointments/:appointmentId/cancel',
      path: (w) => `/referrals/${w.ids.appointmentReferral}/appointments/${w.ids.appointment}/cancel`,
      expect: onHome([303, 409]),
    },
  ],
};
