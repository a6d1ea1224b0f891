// What social prescribing costs: the provider inbox over many onward referrals, the daily nudge
// scan, and rendering a discharge summary PDF, each beside a baseline measured in the same run
// (a bare tenant transaction; a one-line PDF). Embedded PGlite.
//   npm run bench -- social-prescribing [onwardReferrals]
import { performance } from 'node:perf_hooks';
import { openPglite } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { withTenant } from '../src/db/transaction.ts';
import { DemoRandom } from '../src/demo/random.ts';
import { dischargePdf, type DischargeDocument } from '../src/discharge/service.ts';
import { sectionsPdf } from '../src/discharge/pdf.ts';
import type { Actor } from '../src/identity/actor.ts';
import { onwardNudgeScan } from '../src/social-prescriptions/nudges.ts';
import { providerInbox } from '../src/social-prescriptions/service.ts';
import { generateBatch, insertBatch } from '../src/referrals/bulk.ts';

const ONWARD = Number(process.argv[2] ?? 5000);
const PROVIDERS = 10;

function line(label: string, samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  const perSecond = samples.length / (samples.reduce((a, b) => a + b, 0) / 1000);
  console.log(
    `${label.padEnd(70)} p50 ${at(50).toFixed(2).padStart(8)} ms  p95 ${at(95).toFixed(2).padStart(8)} ms  ${perSecond.toFixed(0).padStart(6)}/s`,
  );
}

async function time(n: number, work: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(5, n); i++) await work();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await work();
    samples.push(performance.now() - t);
  }
  return samples;
}

const database = await openPglite('memory://');
await migrate(database.pool);
const pool = database.pool;
const tenantId = (await pool.query<{ id: string }>(`INSERT INTO tenant (name) VALUES ('Bench PCN') RETURNING id`)).rows[0]!.id;
const worker = (
  await pool.query<{ id: string }>(`INSERT INTO app_user (email, name) VALUES ('worker@bench.example', 'Bench Worker') RETURNING id`)
).rows[0]!.id;
await pool.query(`INSERT INTO role_membership (tenant_id, user_id, role) VALUES ($1, $2, 'link_worker')`, [tenantId, worker]);
const providers: string[] = [];
for (let p = 0; p < PROVIDERS; p++) {
  providers.push(
    (
      await pool.query<{ id: string }>(`INSERT INTO provider_organisation (tenant_id, name, email) VALUES ($1, $2, $3) RETURNING id`, [
        tenantId,
        `Bench provider ${p}`,
        `provider${p}@bench.example`,
      ])
    ).rows[0]!.id,
  );
}
const providerUser = (
  await pool.query<{ id: string }>(`INSERT INTO app_user (email, name) VALUES ('provider@bench.example', 'Bench Provider') RETURNING id`)
).rows[0]!.id;
await pool.query(`INSERT INTO role_membership (tenant_id, user_id, role, provider_organisation_id) VALUES ($1, $2, 'provider', $3)`, [
  tenantId,
  providerUser,
  providers[0],
]);

const batch = generateBatch(
  new DemoRandom(7),
  { tenantId, practices: [], linkWorkers: [worker], leadId: null, referrerId: null },
  { people: ONWARD, referralsPerPerson: 1, nhsOffset: 0 },
);
await insertBatch(pool, batch);
const statuses = ['sent', 'sent', 'accepted', 'attending', 'completed', 'declined'];
// Onward referrals spread over the providers and states, sent over the last 30 days.
await pool.query(
  `INSERT INTO onward_referral (tenant_id, referral_id, person_id, kind, delivery, service_id, service_name, provider_organisation_id, status,
     shared, consent_recorded_at, created_by, sent_at, first_session_date)
   SELECT r.tenant_id, r.id, r.person_id, 'refer', 'signpost', 'bench-service-' || (n % $2), 'Bench service', ($3::uuid[])[1 + n % $2],
          ($4::text[])[1 + n % 6], jsonb_build_object('name', 'Bench Person ' || n, 'dateOfBirth', '1970-01-01', 'contactChannels', jsonb_build_array('email'), 'email', 'p' || n || '@bench.example'),
          now(), $5, now() - (n % 30) * interval '1 day', (now() - (n % 20) * interval '1 day')::date
     FROM (SELECT id, person_id, tenant_id, row_number() OVER () AS n FROM referral WHERE tenant_id = $1) r`,
  [tenantId, PROVIDERS, providers, statuses, worker],
);
const count = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM onward_referral')).rows[0]!.n;
console.log(`PGlite, ${count} onward referrals over ${PROVIDERS} provider organisations, one tenant`);

const provider: Actor = {
  userId: providerUser,
  tenantId,
  email: 'provider@bench.example',
  name: 'Bench Provider',
  roles: ['provider'],
  practiceId: null,
  providerOrganisationId: providers[0]!,
  sessionId: 'bench',
};
line('baseline: an empty tenant transaction (SELECT 1)', await time(200, () => withTenant(pool, tenantId, (tx) => tx.query('SELECT 1'))));
line(
  `provider inbox (about ${Math.round(count / PROVIDERS)} referrals, grouped, closed ones paged, audited)`,
  await time(100, () => providerInbox(pool, provider)),
);
const scanAt = new Date(Date.now() + 40 * 86_400_000);
const job = {
  id: 1,
  kind: 'bench',
  tenantId,
  payload: {},
  attempt: 1,
  maxAttempts: 1,
  pool,
  clock: { now: () => scanAt },
  log: { info() {}, warn() {}, error() {} },
};
let t = performance.now();
await onwardNudgeScan(job);
const first = performance.now() - t;
const queued = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM notification')).rows[0]!.n;
t = performance.now();
await onwardNudgeScan(job);
console.log(
  `nudge scan: first run ${first.toFixed(0)} ms (${queued} notifications queued), repeat run ${(performance.now() - t).toFixed(0)} ms (nothing new)`,
);

const doc: DischargeDocument = {
  demographics: {
    name: 'Bench Person',
    dateOfBirth: '1970-01-01',
    nhsNumber: '9990000018',
    sex: null,
    postcode: 'LS6 3AB',
    practice: 'Bench Surgery',
  },
  referral: { reference: 'SP-BENCH000', received: '2026-01-01', referredBy: 'Dr Bench', reasons: ['Loneliness and isolation'] },
  needsAndConcerns: { whatMatters: 'Meeting people', needs: [{ label: 'Loneliness and isolation', rating: 'high need' }], risks: null },
  supportOffered: {
    linkWorker: 'Bench Worker',
    contacts: 6,
    firstContact: '2026-01-05',
    goals: [{ goal: 'Join a group', progress: 'Achieved' }],
    activitiesReferredTo: [
      { service: 'Bench service', organisation: 'Bench provider', status: 'Completed', attendance: 'attended 6 of 8 sessions' },
    ],
    signposted: [],
  },
  outcomes: [{ measure: 'ONS4 life satisfaction', before: 3, after: 7 }],
  discharge: { reason: 'Goals met', date: '2026-03-01', summary: 'Goes weekly.' },
  snomed: [{ code: '871731000000106', display: 'Referral to social prescribing service' }],
};
line('baseline: a one-line PDF', await time(100, () => sectionsPdf('Bench', [])));
line('discharge summary PDF', await time(100, () => dischargePdf(doc)));
await database.close();
