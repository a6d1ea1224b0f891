/**
 * What a system sees of the referrals it sent. The interop area records when each one last changed
 * as the system sees it (its status, a sent social prescription's status, its discharge) in the
 * same transaction as the change; the rest is asked of the areas that own it. These tests make
 * real changes through the services and check the filters, the order, the pages and the totals
 * against one query over all the owners' tables, the definition of a referral's lastUpdated: the
 * latest of its status change, a change to one of its sent social prescriptions and its discharge.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import type { ApiClientActor } from '../../src/interop/clients/service.ts';
import { cancelTask, createReferral, referralFromBundle } from '../../src/interop/fhir/service.ts';
import { sentDischargesPage, sentPeoplePage, sentReferralsPage, type ReferralFilter } from '../../src/interop/fhir/sent-referrals.ts';
import { freshDatabase } from '../support/database.ts';
import { aProviderService, aSocialPrescribingTeam } from '../support/plans-factories.ts';
import { createOnwardReferral, providerRespond } from '../../src/social-prescriptions/service.ts';
import { acceptReferral, allocateReferral, recordContact } from '../../src/referrals/service.ts';
import { aContact } from '../support/referrals-factories.ts';
import { aReferralBundle, aSystem } from './support.ts';

let database: Database;
let system: ApiClientActor;
let other: ApiClientActor;
const referral: Record<string, { id: string; personId: string; reference: string }> = {};
/** When the last steps happened, for polls after each. */
const moments: Record<string, Date> = {};

async function asSystem(actor: ApiClientActor, name: string, family: string) {
  const created = await createReferral(database.pool, actor, referralFromBundle(aReferralBundle({ family })));
  const id = String(created.serviceRequest.id);
  const reference = (created.serviceRequest.identifier as { system?: string; value: string }[]).at(-1)!.value;
  referral[name] = { id, personId: String(created.patient.id), reference };
  return id;
}

const sql = (text: string, values: unknown[]) => database.pool.query(text, values);
/**
 * The database's time now, once its clock has moved on: the embedded database's clock may count
 * whole milliseconds, and a change in the same millisecond would not be after this moment.
 */
async function aMoment(): Promise<Date> {
  const moment = (await sql('SELECT clock_timestamp() AS now', [])).rows[0]!.now as Date;
  await new Promise((resolve) => setTimeout(resolve, 5));
  return moment;
}

before(async () => {
  database = await freshDatabase();
  const team = await aSocialPrescribingTeam(database);
  const client = async (name: string) => {
    const s = await aSystem(database, { tenantId: team.tenantId, name });
    return { clientId: s.clientId, tenantId: team.tenantId, name, scopes: [], practiceId: null };
  };
  system = await client('Hometown Surgery GP system');
  other = await client('Another GP system');
  for (const name of ['a', 'b', 'c', 'd', 'e']) await asSystem(system, name, `Readmodel${name}`);
  await asSystem(other, 'f', 'Readmodelf');
  const service = await aProviderService(database, team.provider, { name: 'Hometown Walking Group', needs: ['loneliness'] });
  const onward: Record<string, string> = {};
  for (const name of ['b', 'c']) {
    await acceptReferral(database.pool, team.lead, referral[name]!.id);
    await allocateReferral(database.pool, team.lead, referral[name]!.id, { linkWorkerId: team.worker.userId });
    await recordContact(database.pool, team.worker, referral[name]!.id, aContact({ outcome: 'made' }));
    const sent = await createOnwardReferral(database.pool, team.worker, referral[name]!.id, {
      kind: 'refer',
      serviceId: service.id,
      consent: true,
      need: 'loneliness',
    });
    onward[name] = sent.id;
  }
  // a's status changes after all that; then only b's social prescription changes (b's status does
  // not); then the system itself cancels d.
  await aMoment();
  await acceptReferral(database.pool, team.lead, referral.a!.id);
  moments.beforeOnward = await aMoment();
  await providerRespond(database.pool, team.provider, onward.b!, { to: 'accepted' });
  moments.beforeCancel = await aMoment();
  await cancelTask(database.pool, system, referral.d!.id, { status: 'cancelled', reason: 'Seen by the practice nurse instead' });
  // Discharge summaries for the people and documents searches, dated before every change above,
  // so they leave each referral's lastUpdated as it was.
  for (const [name, time] of [
    ['d', '2025-03-03T15:00:00Z'],
    ['a', '2025-03-03T09:00:00.0005Z'],
  ] as const) {
    const document = { snomed: [], referral: { reference: referral[name]!.reference } };
    await sql(
      `INSERT INTO discharge (tenant_id, referral_id, reason, summary, document, discharged_at)
       VALUES ((SELECT tenant_id FROM referral WHERE id = $1), $1, 'goals_met', 'Goals met', $2, $3)`,
      [referral[name]!.id, JSON.stringify(document), time],
    );
  }
});
after(() => database.close());

/** The definition, in one query over every table involved. */
async function expectedReferrals(client: ApiClientActor, f: ReferralFilter, limit: number, offset: number) {
  const { rows } = await sql(
    `SELECT r.id, greatest(r.status_changed_at, o.last_changed, d.discharged_at) AS "lastUpdated", count(*) OVER ()::int AS total
       FROM fhir_referral f
       JOIN referral r ON r.tenant_id = f.tenant_id AND r.id = f.referral_id
       LEFT JOIN LATERAL (SELECT max(x.status_changed_at) AS last_changed FROM onward_referral x
                           WHERE x.tenant_id = r.tenant_id AND x.referral_id = r.id AND x.status <> 'draft') o ON true
       LEFT JOIN discharge d ON d.tenant_id = r.tenant_id AND d.referral_id = r.id
      WHERE f.tenant_id = $1 AND f.client_id = $2
        AND ($3::uuid[] IS NULL OR r.id = ANY($3::uuid[]))
        AND ($4::timestamptz IS NULL OR greatest(r.status_changed_at, o.last_changed, d.discharged_at) > $4::timestamptz)
        AND ($5::uuid IS NULL OR r.person_id = $5::uuid)
        AND ($6::text IS NULL OR r.reference = $6::text)
      ORDER BY "lastUpdated", r.id
      LIMIT $7 OFFSET $8`,
    [client.tenantId, client.clientId, f.ids ?? null, f.updatedAfter ?? null, f.personId ?? null, f.reference ?? null, limit, offset],
  );
  return {
    ids: rows.map((r) => r.id as string),
    times: rows.map((r) => (r.lastUpdated as Date).toISOString()),
    total: rows[0]?.total ?? 0,
  };
}

async function actualReferrals(client: ApiClientActor, f: ReferralFilter, count: number, offset: number) {
  const { referrals, total } = await withTenant(database.pool, client.tenantId, (tx) =>
    sentReferralsPage(tx, client, f, { count, offset }),
  );
  return {
    ids: referrals.map((r) => r.referral.id),
    times: referrals.map((r) => r.referral.lastUpdated.toISOString()),
    total,
  };
}

test('referrals a system sent are ordered, filtered, paged and counted by their latest change, whichever area it was in', async () => {
  const filters: ReferralFilter[] = [
    {},
    { updatedAfter: moments.beforeOnward },
    { updatedAfter: moments.beforeCancel },
    { updatedAfter: new Date(Date.now() + 3_600_000) },
    { personId: referral.a!.personId },
    { reference: referral.b!.reference },
    { personId: referral.f!.personId },
    { ids: [referral.c!.id, referral.f!.id] },
    { ids: [referral.b!.id, referral.c!.id], updatedAfter: moments.beforeOnward },
    { ids: [referral.b!.id], personId: referral.a!.personId },
  ];
  for (const f of filters) {
    for (const [count, offset] of [
      [100, 0],
      [2, 0],
      [2, 2],
      [2, 4],
      [2, 10],
    ] as const) {
      assert.deepEqual(
        await actualReferrals(system, f, count, offset),
        await expectedReferrals(system, f, count, offset),
        JSON.stringify({ f, count, offset }),
      );
    }
  }
  assert.deepEqual(
    (await actualReferrals(system, {}, 100, 0)).ids,
    ['e', 'c', 'a', 'b', 'd'].map((n) => referral[n]!.id),
    'e (only received), c (its social prescription sent), a (accepted later), b (its social prescription accepted), d (cancelled by the system)',
  );
  assert.deepEqual(
    (await actualReferrals(system, { updatedAfter: moments.beforeOnward }, 100, 0)).ids,
    [referral.b!.id, referral.d!.id],
    "a poll after b's social prescription was accepted finds b, whose own status did not change, and d",
  );
  assert.deepEqual((await actualReferrals(other, {}, 100, 0)).ids, [referral.f!.id], 'another system sees only its own');
});

test('the people and discharges of the referrals a system sent are filtered, paged and counted as before', async () => {
  const expectedPeople = async (f: { id?: string; nhsNumber?: string }, limit: number, offset: number) => {
    const { rows } = await sql(
      `SELECT p.id, count(*) OVER ()::int AS total FROM person p
        WHERE p.tenant_id = $1 AND p.merged_into_id IS NULL
          AND EXISTS (SELECT 1 FROM fhir_referral f JOIN referral r ON r.tenant_id = f.tenant_id AND r.id = f.referral_id
                       WHERE f.tenant_id = p.tenant_id AND f.client_id = $2 AND r.person_id = p.id)
          AND ($3::uuid IS NULL OR p.id = $3::uuid) AND ($4::text IS NULL OR p.nhs_number = $4::text)
        ORDER BY p.created_at, p.id LIMIT $5 OFFSET $6`,
      [system.tenantId, system.clientId, f.id ?? null, f.nhsNumber ?? null, limit, offset],
    );
    return { ids: rows.map((r) => r.id as string), total: rows[0]?.total ?? 0 };
  };
  const { rows: nhs } = await sql('SELECT nhs_number AS n FROM person WHERE id = $1', [referral.c!.personId]);
  for (const f of [{}, { id: referral.b!.personId }, { id: referral.f!.personId }, { nhsNumber: nhs[0]!.n as string }]) {
    for (const [count, offset] of [
      [100, 0],
      [2, 2],
      [2, 10],
    ] as const) {
      const { people, total } = await withTenant(database.pool, system.tenantId, (tx) => sentPeoplePage(tx, system, f, { count, offset }));
      assert.deepEqual(
        { ids: people.map((p) => p.id), total },
        await expectedPeople(f, count, offset),
        JSON.stringify({ f, count, offset }),
      );
    }
  }

  const expectedDischarges = async (f: { id?: string; patient?: string; related?: string }, limit: number, offset: number) => {
    const { rows } = await sql(
      `SELECT d.id, r.person_id AS "personId", count(*) OVER ()::int AS total
         FROM discharge d
         JOIN fhir_referral f ON f.tenant_id = d.tenant_id AND f.referral_id = d.referral_id
         JOIN referral r ON r.tenant_id = d.tenant_id AND r.id = d.referral_id
        WHERE d.tenant_id = $1 AND f.client_id = $2
          AND ($3::uuid IS NULL OR d.id = $3::uuid) AND ($4::uuid IS NULL OR r.person_id = $4::uuid)
          AND ($5::uuid[] IS NULL OR d.referral_id = ANY($5::uuid[]))
        ORDER BY d.discharged_at, d.id LIMIT $6 OFFSET $7`,
      [system.tenantId, system.clientId, f.id ?? null, f.patient ?? null, f.related ? [f.related] : null, limit, offset],
    );
    return { rows: rows.map((r) => ({ id: r.id as string, personId: r.personId as string })), total: rows[0]?.total ?? 0 };
  };
  const { rows: ofD } = await sql('SELECT id FROM discharge WHERE referral_id = $1', [referral.d!.id]);
  for (const f of [
    {},
    { id: ofD[0]!.id as string },
    { patient: referral.a!.personId },
    { related: referral.d!.id },
    { related: referral.b!.id },
  ]) {
    for (const [count, offset] of [
      [100, 0],
      [1, 1],
      [1, 5],
    ] as const) {
      const { discharges, total } = await withTenant(database.pool, system.tenantId, (tx) =>
        sentDischargesPage(tx, system, f, { count, offset }),
      );
      assert.deepEqual(
        { rows: discharges.map((d) => ({ id: d.id, personId: d.personId })), total },
        await expectedDischarges(f, count, offset),
        JSON.stringify({ f, count, offset }),
      );
    }
  }
});
