import type { Db } from '../../db/database.ts';
import { dischargeRecordWithin, dischargesForSystem, type DischargeDocument } from '../../discharge/service.ts';
import { tenantLetterhead } from '../../identity/service.ts';
import { livePersonWithNhsNumber, peopleForSystem } from '../../people/service.ts';
import { referralChangesForSystem, referralIdsForSystem, referralsForSystem } from '../../referrals/service.ts';
import { sentOnwardForSystem } from '../../social-prescriptions/service.ts';
import type { ApiClientActor } from '../clients/service.ts';
import type { DischargeForFhir, OnwardForFhir, ReferralForFhir } from './mapping.ts';
import * as q from './queries.ts';

// What a system may see of the referrals it sent: the ids come from this area's record of what
// each system sent; the referrals, their people, social prescriptions and discharges from the
// areas that own them, each asked once for all the ids. Reads for a system, not a person: the
// owners write no view audit rows, and the FHIR service audits each resource a system reads.

export interface Page {
  count: number;
  offset: number;
}

/** A referral a system sent, with what its Task shows of its social prescriptions and discharge. */
export interface TrackedReferral {
  referral: ReferralForFhir;
  onward: OnwardForFhir[];
  discharge?: DischargeForFhir;
}

export interface ReferralFilter {
  ids?: string[] | null;
  /** Only referrals changed after this (the referral, a social prescription or the discharge). */
  updatedAfter?: Date | null;
  personId?: string | null;
  reference?: string | null;
}

/** The ids of the referrals a system sent, narrowed to these ids and this person's when given. */
export async function sentReferralIds(
  tx: Db,
  system: ApiClientActor,
  filter: { ids?: string[] | null; personId?: string | null },
): Promise<string[]> {
  if (filter.personId) return (await sentReferralsOf(tx, system, { ids: filter.ids ?? null, personId: filter.personId })).map((r) => r.id);
  return (await q.referralsSentBy(tx, system.tenantId, system.clientId, filter.ids ?? null)).map((s) => s.referralId);
}

/**
 * A page of the referrals a system sent that match the filter, the least recently changed first,
 * with the total matching. A referral changes when its status does, when one of its sent social
 * prescriptions does and when it is discharged; this area records the latest of these as it
 * happens (touchSentReferral), so the page and its order come from its own table and an index.
 */
export async function sentReferralsPage(
  tx: Db,
  system: ApiClientActor,
  filter: ReferralFilter,
  page: Page,
): Promise<{ referrals: TrackedReferral[]; total: number }> {
  const { tenantId } = system;
  let ids = filter.ids ?? null;
  if (filter.personId || filter.reference) {
    const matching = new Set(await referralIdsForSystem(tx, tenantId, { personId: filter.personId, reference: filter.reference }));
    ids = ids ? ids.filter((id) => matching.has(id)) : [...matching];
  }
  const shown = await q.sentReferralChanges(
    tx,
    tenantId,
    system.clientId,
    { ids, since: filter.updatedAfter ?? null },
    page.count,
    page.offset,
  );
  // A page past the end says a total of 0, as the other searches do.
  if (!shown.length) return { referrals: [], total: 0 };
  const shownIds = shown.map((m) => m.referralId);
  const rows = await referralsForSystem(tx, tenantId, shownIds);
  const onward = await sentOnwardForSystem(tx, tenantId, shownIds);
  const discharges = await dischargesForSystem(tx, tenantId, shownIds, { count: shownIds.length, offset: 0 });
  const tenantName = (await tenantLetterhead(tx, tenantId)).name;
  const referrals = shown.map(({ referralId, identifiers, lastChanged }) => {
    const row = rows.find((r) => r.id === referralId)!;
    const discharge = discharges.find((d) => d.referralId === referralId);
    return {
      referral: { ...row, lastUpdated: lastChanged, tenantName, identifiers },
      onward: onward.filter((o) => o.referralId === referralId),
      discharge: discharge ? dischargeForFhir({ ...discharge, personId: row.personId }) : undefined,
    };
  });
  return { referrals, total: shown[0]!.total };
}

/** Records, in the caller's transaction, that a referral changed as the system that sent it sees it. */
export async function touchSentReferral(tx: Db, tenantId: string, referralId: string): Promise<void> {
  await q.touchSentReferral(tx, tenantId, referralId);
}

/** Only the ids in both lists; `null` stands for any id. */
const within = (ids: string[] | null, more: string[]) => (ids ? ids.filter((id) => more.includes(id)) : more);

/**
 * The referrals a system sent, with their people: narrowed first by what the search names (these
 * referral ids, this person), so a search by id or patient reads a few rows, not every referral
 * the system ever sent.
 */
async function sentReferralsOf(tx: Db, system: ApiClientActor, narrow: { ids: string[] | null; personId?: string | null }) {
  const ids = narrow.personId
    ? within(narrow.ids, await referralIdsForSystem(tx, system.tenantId, { personId: narrow.personId }))
    : narrow.ids;
  if (ids && !ids.length) return [];
  const sent = (await q.referralsSentBy(tx, system.tenantId, system.clientId, ids)).map((s) => s.referralId);
  return referralChangesForSystem(tx, system.tenantId, sent, {});
}

/** The people of the referrals a system sent, oldest record first, with the total matching. */
export async function sentPeoplePage(tx: Db, system: ApiClientActor, search: { id?: string; nhsNumber?: string | null }, page: Page) {
  // An empty _id names no one in particular: the search is not narrowed by it.
  const id = search.id || undefined;
  let personId = id ?? null;
  if (search.nhsNumber) {
    const holder = await livePersonWithNhsNumber(tx, system.tenantId, search.nhsNumber);
    if (!holder || (personId && personId !== holder.id)) return { people: [], total: 0 };
    personId = holder.id;
  }
  const referrals = await sentReferralsOf(tx, system, { ids: null, personId });
  const personIds = [...new Set(referrals.map((r) => r.personId))];
  if (!personIds.length) return { people: [], total: 0 };
  const people = await peopleForSystem(tx, system.tenantId, personIds, { id, nhsNumber: search.nhsNumber, ...page });
  return { people, total: people[0]?.total ?? 0 };
}

/** The discharges of the referrals a system sent, oldest first, with the total matching. */
export async function sentDischargesPage(
  tx: Db,
  system: ApiClientActor,
  search: { id?: string; patient?: string; related?: string },
  page: Page,
): Promise<{ discharges: (DischargeForFhir & { document: DischargeDocument })[]; total: number }> {
  const id = search.id || undefined;
  let ids = search.related ? [search.related] : null;
  if (id) {
    const discharge = await dischargeRecordWithin(tx, system.tenantId, id);
    ids = within(ids, discharge ? [discharge.referralId] : []);
  }
  const referrals = await sentReferralsOf(tx, system, { ids, personId: search.patient });
  if (!referrals.length) return { discharges: [], total: 0 };
  const rows = await dischargesForSystem(
    tx,
    system.tenantId,
    referrals.map((r) => r.id),
    { id, ...page },
  );
  const discharges = rows.map((d) => dischargeForFhir({ ...d, personId: referrals.find((r) => r.id === d.referralId)!.personId }));
  return { discharges, total: rows[0]?.total ?? 0 };
}

function dischargeForFhir<D extends Omit<DischargeForFhir, 'snomed' | 'title'> & { document: DischargeDocument }>(
  d: D,
): D & DischargeForFhir {
  return { ...d, snomed: d.document.snomed, title: `Social prescribing discharge summary ${d.document.referral.reference}` };
}
