import type pg from 'pg';
import {
  assessmentsForReferral,
  isWorking,
  latestAssessmentWithin,
  loadEpisode,
  lockEpisode,
  requireStaff,
} from '../assessment/service.ts';
import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import { findNeed } from '../vocabulary/needs.ts';
import { getServiceSummary } from '../directory/service.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { recordAuditBy } from '../identity/audit.ts';
import { queueGpRecordSend } from '../interop/mesh/service.ts';
import { SNOMED, type SnomedConcept } from '../interop/snomed.ts';
import { queueNotification } from '../jobs/outbox.ts';
import { planForReferral, planWithin, progressLabel } from '../plans/service.ts';
import { ONWARD_LABELS, OPEN_ONWARD, stopOnwardAtDischarge } from '../social-prescriptions/service.ts';
import { tenantLetterhead } from '../identity/service.ts';
import { ONS4_SHORT, outcomesForReferral } from '../outcomes/service.ts';
import { INSTRUMENT_CODES, INSTRUMENTS } from '../outcomes/instruments.ts';
import { contactsWithin, dischargeWithin, referrerView, type ReferralRow } from '../referrals/service.ts';
import { getPerson, personWithin } from '../people/service.ts';
import { Forbidden, InvalidInput, NotFound, RuleBroken, type FieldError } from '../web/errors.ts';
import { DISCHARGE_REASONS, type DischargeDocument } from './document.ts';
import * as q from './queries.ts';
import type { RequestContext } from '../identity/audit.ts';
import { isUuid } from '../db/ids.ts';

export { DISCHARGE_REASONS, documentLetterhead, documentSections, type DischargeDocument } from './document.ts';
export { dischargePdf } from './pdf.ts';
export type { DischargeRow } from './queries.ts';

export interface DischargeInput {
  reason: string;
  summary: string;
  /** Confirms a reason the record seems to contradict (goals met with none achieved, connected with nothing attended). */
  reasonNote?: string | null;
  outcomes?: { measure: string; before: string | number | null; after: string | number | null }[];
  /** For each onward referral still open, by its id: "stop" it now or "keep" it open. */
  onward?: Record<string, string>;
}

const day = (at: Date | string) => new Date(at).toISOString().slice(0, 10);

/** Onward referrals a discharge must decide on: still waiting for, or in the middle of, a service. */
const PENDING: readonly string[] = OPEN_ONWARD;

type Plan = Awaited<ReturnType<typeof planWithin>>;

/** What the record says about the reasons a link worker may give. */
function recordFacts(plan: Plan) {
  const achieved = plan.goals.filter((g) => g.progress === 'achieved').length;
  const attended = plan.onward.filter(
    (o) => o.kind === 'refer' && (['attending', 'completed'].includes(o.status) || o.attendance.some((a) => a.attended)),
  ).length;
  return {
    goals: plan.goals.length,
    achieved,
    attended,
    pending: plan.onward.filter((o) => o.kind === 'refer' && PENDING.includes(o.status)),
  };
}

function contradiction(reason: string, facts: ReturnType<typeof recordFacts>): string | undefined {
  if (reason === 'goals_met' && facts.achieved === 0) {
    return facts.goals === 0
      ? 'No goals are recorded. Write a note confirming the goals were met, or choose another reason'
      : `None of the ${facts.goals} goal${facts.goals === 1 ? ' is' : 's are'} recorded as achieved. Write a note confirming the goals were met, or choose another reason`;
  }
  if (reason === 'connected_to_services' && facts.attended === 0) {
    return 'No attendance at a service is recorded. Write a note saying how the person is connected, or choose another reason';
  }
  return undefined;
}

function checkDischarge(input: DischargeInput, facts: ReturnType<typeof recordFacts>) {
  const errors: FieldError[] = [];
  const reason = DISCHARGE_REASONS.find((r) => r.code === input.reason);
  if (!reason) errors.push({ field: 'reason', message: 'Select why support is ending' });
  const summary = input.summary.trim();
  if (!summary) errors.push({ field: 'summary', message: 'Enter a summary for the referrer' });
  else if (summary.length > 4000) errors.push({ field: 'summary', message: 'The summary must be 4000 characters or fewer' });
  const reasonNote = (input.reasonNote ?? '').trim() || null;
  if (reasonNote && reasonNote.length > 1000) errors.push({ field: 'reasonNote', message: 'The note must be 1000 characters or fewer' });
  const contradicted = reason ? contradiction(reason.code, facts) : undefined;
  if (contradicted && !reasonNote) errors.push({ field: 'reasonNote', message: contradicted });
  const stop: string[] = [];
  const keep: string[] = [];
  for (const o of facts.pending) {
    const choice = input.onward?.[o.id];
    if (choice === 'stop') stop.push(o.id);
    else if (choice === 'keep') keep.push(o.id);
    else
      errors.push({
        field: `onward-${o.id}`,
        message: `Choose whether to stop the referral to ${o.serviceName}${o.organisationName ? ` (${o.organisationName})` : ''} or leave it open`,
      });
  }
  const outcomes: DischargeDocument['outcomes'] = [];
  for (const [i, o] of (input.outcomes ?? []).entries()) {
    const measure = o.measure.trim();
    const num = (v: string | number | null, field: string) => {
      if (v === null || v === '') return null;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 1000) {
        errors.push({ field, message: 'Outcome scores must be numbers from 0 to 1000' });
        return null;
      }
      return n;
    };
    const before = num(o.before, `outcomeBefore${i}`);
    const after = num(o.after, `outcomeAfter${i}`);
    if (!measure) {
      if (before !== null || after !== null) errors.push({ field: `outcomeMeasure${i}`, message: 'Enter the name of the outcome measure' });
      continue;
    }
    outcomes.push({ measure: measure.slice(0, 200), before, after });
  }
  return { reason, summary, reasonNote, outcomes, stop, keep, errors };
}

/**
 * The outcome measures recorded on the referral, as the discharge form offers them: for each
 * instrument its baseline score and its latest later score (ONS4 as its four questions). Nothing
 * recorded, nothing offered.
 */
export async function recordedOutcomes(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  context: RequestContext = {},
): Promise<DischargeDocument['outcomes']> {
  const { administrations } = await outcomesForReferral(pool, actor, referralId, context);
  const rows: DischargeDocument['outcomes'] = [];
  for (const instrument of INSTRUMENT_CODES) {
    const mine = administrations
      .filter((a) => a.instrument === instrument)
      .sort((a, b) => new Date(a.completedAt).getTime() - new Date(b.completedAt).getTime());
    if (!mine.length) continue;
    const baseline = mine.find((a) => a.timepoint === 'baseline');
    const latest = mine.filter((a) => a.timepoint !== 'baseline').at(-1);
    if (instrument === 'swemwbs')
      rows.push({ measure: 'SWEMWBS metric score (7 to 35)', before: baseline?.score.metric ?? null, after: latest?.score.metric ?? null });
    else if (instrument === 'ucla3')
      rows.push({
        measure: 'UCLA 3-item loneliness score (3 to 9)',
        before: baseline?.score.raw ?? null,
        after: latest?.score.raw ?? null,
      });
    else {
      for (const item of INSTRUMENTS.ons4.items) {
        rows.push({
          measure: `ONS4 ${(ONS4_SHORT[item.id] ?? item.id).toLowerCase()} (0 to 10)`,
          before: baseline?.answers[item.id] ?? null,
          after: latest?.answers[item.id] ?? null,
        });
      }
    }
  }
  return rows;
}

/** What the discharge form shows beside the reasons: goals, attendance, and the referrals still open. */
export async function dischargeRecord(pool: pg.Pool, actor: Actor, referralId: string, context: RequestContext = {}) {
  const plan = await planForReferral(pool, actor, referralId, context);
  const facts = recordFacts(plan);
  return {
    referral: plan.episode.referral,
    goals: facts.goals,
    achieved: facts.achieved,
    attended: facts.attended,
    pending: facts.pending.map((o) => ({
      id: o.id,
      service: o.serviceName,
      organisation: o.organisationName,
      status: ONWARD_LABELS[o.status],
    })),
    outcomes: await recordedOutcomes(pool, actor, referralId, context),
  };
}

/** The SNOMED CT codes that apply: the referral to social prescribing, and each onward referral's need's code. */
async function codesFor(tx: Db, referred: Plan['onward']): Promise<SnomedConcept[]> {
  const codes: SnomedConcept[] = [SNOMED.referralToSocialPrescribing];
  const add = (code: SnomedConcept | undefined) => {
    if (code && !codes.some((c) => c.code === code.code)) codes.push(code);
  };
  for (const o of referred) {
    if (o.status === 'draft') continue;
    if (o.need) add(findNeed(o.need)?.snomed);
    else {
      // No need was chosen when referring: the needs the service meets say what kind of referral it was.
      const service = await getServiceSummary(tx, o.serviceId);
      for (const need of service?.needs ?? []) add(findNeed(need)?.snomed);
    }
  }
  return codes;
}

function checkDischargeable(r: ReferralRow) {
  if (!isWorking(r.status)) {
    throw new RuleBroken(
      `Only a referral the person is being supported on can be discharged. This one is "${r.status.replace(/_/g, ' ')}".`,
    );
  }
}

/** Everything the summary is made from. */
interface SummaryRecord {
  referral: ReferralRow;
  reasons: string[];
  contacts: Array<{ outcome: string; occurredAt: Date }>;
  plan: Plan;
  person: Awaited<ReturnType<typeof personWithin>>;
  assessment: Awaited<ReturnType<typeof latestAssessmentWithin>>;
  letterhead: Awaited<ReturnType<typeof tenantLetterhead>>;
  snomed: SnomedConcept[];
}

/** The summary exactly as it will be sent, from the record and the checked answers. */
function summaryDocument(actor: Actor, record: SummaryRecord, checked: ReturnType<typeof checkDischarge>): DischargeDocument {
  const { referral: r, plan, person, assessment, letterhead, snomed } = record;
  const made = record.contacts.filter((c) => c.outcome === 'made');
  const firstContact = made.map((c) => c.occurredAt).sort((a, b) => a.getTime() - b.getTime())[0];
  const referred = plan.onward.filter((o) => o.kind === 'refer');
  const named = (o: Plan['onward'][number]) => `${o.serviceName}${o.organisationName ? `, ${o.organisationName}` : ''}`;
  return {
    service: letterhead,
    demographics: {
      name: `${person.givenName} ${person.familyName}`,
      dateOfBirth: day(person.dateOfBirth),
      nhsNumber: person.nhsNumber ?? null,
      sex: person.sex ?? null,
      postcode: person.postcode ?? null,
      practice: person.practiceName ?? r.practiceName ?? null,
    },
    referral: {
      reference: r.reference,
      received: day(r.receivedAt),
      referredBy: r.referrerName ?? r.referrerUserName ?? null,
      reasons: record.reasons,
    },
    needsAndConcerns: {
      whatMatters: assessment?.whatMatters ?? null,
      needs: (assessment?.needs ?? [])
        .filter((n) => n.rating !== 'none')
        .map((n) => ({ label: findNeed(n.need)?.label ?? n.need, rating: n.rating === 'high' ? 'High need' : 'Some need' })),
      risks: assessment?.risks ?? null,
    },
    supportOffered: {
      linkWorker: actor.name,
      contacts: made.length,
      firstContact: firstContact ? day(firstContact) : null,
      goals: plan.goals.map((g) => ({ goal: g.goal, progress: progressLabel(g.progress) })),
      activitiesReferredTo: referred.map((o) => {
        const sessions = o.attendance.filter((a) => a.sessionDate);
        const overall = o.attendance.find((a) => !a.sessionDate);
        const attended = sessions.filter((a) => a.attended).length;
        const attendance = overall
          ? `Attended ${overall.sessionsAttended} of ${overall.sessionsOffered} sessions`
          : sessions.length
            ? `Attended ${attended} of ${sessions.length} recorded sessions`
            : 'No attendance recorded';
        // A referral stopped with this discharge reads as the GP will find it afterwards.
        const status = checked.stop.includes(o.id) ? ONWARD_LABELS.stopped : ONWARD_LABELS[o.status];
        return { service: o.serviceName, organisation: o.organisationName, status, attendance };
      }),
      signposted: plan.onward
        .filter((o) => o.kind === 'signpost')
        .map((o) => ({ service: o.serviceName, organisation: o.organisationName })),
    },
    outcomes: checked.outcomes,
    discharge: {
      reason: checked.reason!.label,
      date: day(new Date()),
      summary: checked.summary,
      reasonNote: checked.reasonNote,
      stillOpen: referred.filter((o) => checked.keep.includes(o.id)).map((o) => `${named(o)} (${ONWARD_LABELS[o.status]})`),
    },
    snomed,
  };
}

/**
 * The summary for the "check your answers" page, from reads made for this page (each audited as a
 * view); nothing is saved. The discharge itself reads the record again inside its transaction.
 */
async function prepareDischarge(pool: pg.Pool, actor: Actor, referralId: string, input: DischargeInput, context: RequestContext) {
  const episode = await loadEpisode(pool, actor, referralId, context);
  const r = episode.referral;
  checkDischargeable(r);
  const plan = await planForReferral(pool, actor, referralId, context);
  const checked = checkDischarge(input, recordFacts(plan));
  if (checked.errors.length) throw new InvalidInput(checked.errors);
  const { person } = await getPerson(pool, actor, r.personId, context);
  const assessment = (await assessmentsForReferral(pool, actor, referralId))[0];
  const { letterhead, snomed } = await withTenant(pool, actor.tenantId, async (tx) => ({
    letterhead: await tenantLetterhead(tx, actor.tenantId),
    snomed: await codesFor(
      tx,
      plan.onward.filter((o) => o.kind === 'refer'),
    ),
  }));
  const record = {
    referral: r,
    reasons: episode.reasons.map((x) => x.label),
    contacts: episode.contacts,
    plan,
    person,
    assessment,
    letterhead,
    snomed,
  };
  return summaryDocument(actor, record, checked);
}

/** The summary as the GP will get it, for the "check your answers" page; nothing is saved. */
export async function previewDischarge(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: DischargeInput,
  context: RequestContext = {},
): Promise<DischargeDocument> {
  return prepareDischarge(pool, actor, referralId, input, context);
}

/**
 * Discharges the episode and writes the summary for the referrer / GP practice. The referral
 * moves to "discharged" through its life cycle (refused from any other state), the onward
 * referrals the link worker chose to stop are stopped, then the summary is stored as written and
 * the referrer is told through the outbox.
 */
export async function dischargeReferral(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: DischargeInput,
  context: RequestContext = {},
) {
  requireStaff(actor);
  // One transaction, the referral locked before anything is read: the summary stored is the record
  // as it stands when the discharge commits, and its reads write no view audit rows.
  return withTenant(pool, actor.tenantId, async (tx) => {
    const r = await lockEpisode(tx, actor, referralId);
    checkDischargeable(r);
    const plan = await planWithin(tx, actor, referralId);
    const facts = recordFacts(plan);
    // A referral to a service the answers say nothing about was made after the check page was
    // shown: nothing is discharged until the link worker has seen it.
    const answered = (o: { id: string }) => !!input.onward && Object.hasOwn(input.onward, o.id);
    const checked = checkDischarge(input, { ...facts, pending: facts.pending.filter(answered) });
    if (checked.errors.length) throw new InvalidInput(checked.errors);
    const unseen = facts.pending.filter((o) => !answered(o));
    if (unseen.length) {
      throw new RuleBroken(
        `A referral to ${unseen.map((o) => o.serviceName).join(' and ')} was made while you were discharging. Nothing was saved: check the summary again.`,
      );
    }
    const document = summaryDocument(
      actor,
      {
        referral: r,
        reasons: r.reasons.map((code) => findNeed(code)?.label ?? code),
        contacts: await contactsWithin(tx, actor, referralId),
        plan,
        person: await personWithin(tx, actor, r.personId),
        assessment: await latestAssessmentWithin(tx, actor, referralId),
        letterhead: await tenantLetterhead(tx, actor.tenantId),
        snomed: await codesFor(
          tx,
          plan.onward.filter((o) => o.kind === 'refer'),
        ),
      },
      checked,
    );
    await dischargeWithin(tx, actor, r, checked.reason!.label, context);
    for (const onwardId of checked.stop) await stopOnwardAtDischarge(tx, actor, onwardId, context);
    const id = await q.insertDischarge(tx, actor.tenantId, {
      referralId,
      reason: checked.reason!.code,
      reasonNote: checked.reasonNote,
      summary: checked.summary,
      outcomes: checked.outcomes,
      document,
      userId: actor.userId,
    });
    // With MESH configured, the summary also goes to the GP record (GP Connect Send Document).
    await queueGpRecordSend(tx, actor.tenantId, { dischargeId: id, referralId });
    await recordAuditBy(tx, actor, context, {
      action: 'discharge.create',
      entityType: 'discharge',
      entityId: id,
      personId: r.personId,
      reason: checked.reason!.code,
    });
    const recipient = r.referrerEmail ?? r.referrerUserEmail;
    if (recipient && r.source !== 'self') {
      await queueNotification(tx, {
        tenantId: actor.tenantId,
        channel: 'email',
        recipient,
        template: 'discharge_summary_ready',
        personalisation: { reference: r.reference },
        idempotencyKey: `discharge:${id}`,
      });
    }
    return id;
  });
}

/**
 * A discharge summary, for the link workers and leads of the tenant, or for the referrer who
 * made the referral or works at its practice (the same rule as their referrals view).
 */
export async function getDischargeSummary(pool: pg.Pool, actor: Actor, dischargeId: string, context: RequestContext = {}) {
  if (!isUuid(dischargeId)) throw new NotFound('discharge summary');
  if (!hasRole(actor, 'link_worker', 'lead', 'referrer')) throw new Forbidden();
  const discharge = await withTenant(pool, actor.tenantId, (tx) => q.findDischarge(tx, actor.tenantId, dischargeId));
  if (!discharge) throw new NotFound('discharge summary');
  if (!hasRole(actor, 'link_worker', 'lead')) {
    const visible = await referrerView(pool, actor, context);
    if (!visible.some((v) => v.id === discharge.referralId)) throw new NotFound('discharge summary');
  }
  await withTenant(pool, actor.tenantId, (tx) =>
    recordAuditBy(tx, actor, context, { action: 'discharge.view', entityType: 'discharge', entityId: dischargeId }),
  );
  return discharge;
}

/** The referrer's discharge summaries: those on referrals their referrals view shows. */
export async function referrerDischarges(pool: pg.Pool, actor: Actor, context: RequestContext = {}) {
  if (!hasRole(actor, 'referrer')) throw new Forbidden();
  const visible = await referrerView(pool, actor, context);
  const rows = await withTenant(pool, actor.tenantId, (tx) =>
    q.dischargesOf(
      tx,
      actor.tenantId,
      visible.map((v) => v.id),
    ),
  );
  return rows.map((d) => ({ ...d, reference: visible.find((v) => v.id === d.referralId)!.reference }));
}

export async function dischargeOfReferral(pool: pg.Pool, actor: Actor, referralId: string) {
  requireStaff(actor);
  if (!isUuid(referralId)) throw new NotFound('referral');
  return (await withTenant(pool, actor.tenantId, (tx) => q.dischargesOf(tx, actor.tenantId, [referralId])))[0];
}

/** For the person timeline (called inside its transaction). */
export async function dischargeTimeline(tx: Db, tenantId: string, referralIds: string[]) {
  return (await q.dischargesOf(tx, tenantId, referralIds)).map((d) => ({
    at: d.dischargedAt,
    kind: 'discharge',
    title: 'Discharged: summary sent to the referrer',
    detail: d.document.discharge.reason,
    referralId: d.referralId,
    href: `/discharge-summaries/${d.id}`,
  }));
}

/** A discharge inside the caller's transaction (sending its summary to the GP record), with no view audit row. */
export async function dischargeRecordWithin(tx: Db, tenantId: string, dischargeId: string) {
  return q.findDischarge(tx, tenantId, dischargeId);
}

/** A referral's discharge inside the caller's transaction, with no view audit row. */
export async function dischargeOfReferralWithin(tx: Db, tenantId: string, referralId: string) {
  return (await q.dischargesOf(tx, tenantId, [referralId]))[0];
}

// A system's reads (a GP system over FHIR, of the referrals it sent): the caller scopes them to
// those referrals and audits them as the system's.

/** The discharges of these referrals (or the one with this id), oldest first, a page at a time; each row carries the total. */
export async function dischargesForSystem(
  tx: Db,
  tenantId: string,
  referralIds: string[],
  page: { id?: string | null; count: number; offset: number },
) {
  if (!referralIds.length) return [];
  return q.dischargesPage(tx, tenantId, referralIds, page.id ?? null, page.count, page.offset);
}

/** Bulk loading of discharges for the demo and the benchmarks. */
export { bulkInsertDischarges, type BulkDischarge } from './queries.ts';
