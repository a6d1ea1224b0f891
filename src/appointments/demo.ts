import { demoLinkWorker } from '../demo/actors.ts';
import type { DemoSeeder } from '../demo/seed.ts';
import { localDate } from '../calendar/london.ts';
import { bookAppointment } from './service.ts';

const DAY = 86_400_000;

/** What the demo link worker has booked with the first social prescribing people, days from the demo's start. */
const BOOKINGS = [
  { days: 2, time: '10:30', mode: 'face_to_face', place: 'Woodhouse Medical Practice, room 4' },
  { days: 1, time: '14:00', mode: 'phone', place: '' },
];

/** A few appointments coming up, so the appointments page and the people's reminders have something to show. */
export const appointmentsSeeder: DemoSeeder = {
  area: 'appointments',
  async seed(context) {
    const worker = demoLinkWorker(context.ids);
    if (!worker) return;
    const referrals = context.ids.socialPrescribingReferrals ?? [];
    for (const [i, booking] of BOOKINGS.entries()) {
      const referralId = referrals[i];
      if (!referralId) continue;
      await bookAppointment(context.database.pool, worker, referralId, {
        ...booking,
        date: localDate(new Date(Date.now() + booking.days * DAY)),
      });
    }
  },
};
