import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { appointmentsSeeder } from '../../src/appointments/demo.ts';
import type { Database } from '../../src/db/database.ts';
import { seedDemo } from '../../src/demo/seed.ts';
import { directorySeeder } from '../../src/directory/seed.ts';
import { identitySeeder } from '../../src/identity/demo.ts';
import { socialPrescribingSeeder } from '../../src/social-prescriptions/demo.ts';
import { referralsSeeder } from '../../src/referrals/demo.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

test('the demo has appointments coming up, each with its reminder scheduled for the day before', async () => {
  await seedDemo(database, [identitySeeder, directorySeeder, referralsSeeder, socialPrescribingSeeder, appointmentsSeeder]);
  const { rows } = await database.pool.query<{ startsAt: Date; mode: string; runAt: Date | null }>(
    `SELECT a.starts_at AS "startsAt", a.mode, j.run_at AS "runAt" FROM appointment a
       LEFT JOIN job j ON j.kind = 'appointments.remind' AND j.payload->>'appointmentId' = a.id::text
      WHERE a.status = 'booked' ORDER BY a.starts_at`,
  );
  assert.deepEqual(rows.map((r) => r.mode).sort(), ['face_to_face', 'phone']);
  assert.ok(
    rows.some((r) => r.runAt),
    'at least one demo person is reminded',
  );
  for (const r of rows) {
    assert.ok(r.startsAt.getTime() > Date.now(), 'in the future');
    // The demo people choose phone and email or text; a reminder is due 24 hours before, or at once when that has passed.
    if (r.runAt) assert.ok(r.startsAt.getTime() - r.runAt.getTime() <= 24 * 3_600_000);
  }
});
