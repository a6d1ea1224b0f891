import type pg from 'pg';
import { loadEpisode, assessmentsForReferral, requireStaff } from '../assessment/service.ts';
import { withTenant } from '../db/transaction.ts';
import { findNeed } from '../directory/needs.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { recordAudit } from '../identity/audit.ts';
import { queueGpRecordSend } from '../interop/mesh/service.ts';
import { SNOMED, type SnomedConcept } from '../interop/snomed.ts';
import { queueNotification } from '../jobs/outbox.ts';
import { ONWARD_LABELS, planForReferral, progressLabel } from '../plans/service.ts';
import { dischargeWithin, getPerson, referrerView } from '../referrals/service.ts';
import { Forbidden, InvalidInput, NotFound, RuleBroken, type FieldError } from '../web/errors.ts';
import { DISCHARGE_REASONS, type DischargeDocument } from './document.ts';
import * as q from './queries.ts';

export { DISCHARGE_REASONS, documentSections, type DischargeDocument } from './document.ts';
export { dischargePdf } from './pdf.ts';

interface RequestContext { requestId?: string }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface DischargeInput {
  reason: string;
  summary: string;
  outcomes?: { measure: string; before: string | number | null; after: string | number | null }[];
}

const day = (at: Date | string) => new Date(at).toISOString().slice(0, 10);

function checkDischarge(input: DischargeInput) {
  const errors: FieldError[] = [];
  const reason = DISCHARGE_REASONS.find((r) => r.code === input.reason);
  if (!reason) errors.push({ field: 'reason', message: 'Select why support is ending' });
  const summary = input.summary.trim();
  if (!summary) errors.push({ field: 'summary', message: 'Enter a summary for the referrer' });
  else if (summary.length > 4000) errors.push({ field: 'summary', message: 'The summary must be 4000 characters or fewer' });
  const outcomes: DischargeDocument['outcomes'] = [];
  for (const [i, o] of (input.outcomes ?? []).entries()) {
    const measure = o.measure.trim();
    const num = (v: string | number | null, field: string) => {
      if (v === null || v === '') return null;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 1000) { errors.push({ field, message: 'Outcome scores must be numbers from 0 to 1000' }); return null; }
      return n;
    };
    const before = num(o.before, `outcomeBefore${i}`);
    const after = num(o.after, `outcomeAfter${i}`);
    if (!measure) { if (before !== null || after !== null) errors.push({ field: `outcomeMeasure${i}`, message: 'Enter the name of the outcome measure' }); continue; }
    outcomes.push({ measure: measure.slice(0, 200), before, after });
  }
  return { reason, summary, outcomes, errors };
}

/**
 * Discharges the episode and writes the summary for the referrer / GP practice. The referral
 * moves to "discharged" through its life cycle (refused from any other state), then the summary
 * is stored as written and the referrer is told through the outbox.
 */
export async function dischargeReferral(pool: pg.Pool, actor: Actor, referralId: string, input: DischargeInput, context: RequestContext = {}) {
  const checked = checkDischarge(input);
  const episode = await loadEpisode(pool, actor, referralId, context);
  if (checked.errors.length) throw new InvalidInput(checked.errors);
  const r = episode.referral;
  if (!['in_contact', 'assessed', 'active_plan'].includes(r.status)) {
    throw new RuleBroken(`Only a referral the person is being supported on can be discharged. This one is "${r.status.replace(/_/g, ' ')}".`);
  }
  const { person } = await getPerson(pool, actor, r.personId, context);
  const assessment = (await assessmentsForReferral(pool, actor, referralId))[0];
  const plan = await planForReferral(pool, actor, referralId, context);
  const made = episode.contacts.filter((c) => c.outcome === 'made');
  const firstContact = made.map((c) => c.occurredAt).sort((a, b) => a.getTime() - b.getTime())[0];
  const referred = plan.onward.filter((o) => o.kind === 'refer');
  const snomed: SnomedConcept[] = [SNOMED.referralToSocialPrescribing];
  for (const o of referred) {
    const code = o.need ? findNeed(o.need)?.snomed : undefined;
    if (code && !snomed.some((c) => c.code === code.code)) snomed.push(code);
  }
  const document: DischargeDocument = {
    demographics: {
      name: `${person.givenName} ${person.familyName}`, dateOfBirth: day(person.dateOfBirth), nhsNumber: person.nhsNumber ?? null,
      sex: person.sex ?? null, postcode: person.postcode ?? null, practice: person.practiceName ?? r.practiceName ?? null,
    },
    referral: { reference: r.reference, received: day(r.receivedAt), referredBy: r.referrerName ?? r.referrerUserName ?? null, reasons: episode.reasons.map((x) => x.label) },
    needsAndConcerns: {
      whatMatters: assessment?.whatMatters ?? null,
      needs: (assessment?.needs ?? []).filter((n) => n.rating !== 'none').map((n) => ({ label: findNeed(n.need)?.label ?? n.need, rating: n.rating === 'high' ? 'high need' : 'some need' })),
      risks: assessment?.risks ?? null,
    },
    supportOffered: {
      linkWorker: actor.name, contacts: made.length, firstContact: firstContact ? day(firstContact) : null,
      goals: plan.goals.map((g) => ({ goal: g.goal, progress: progressLabel(g.progress) })),
      activitiesReferredTo: referred.map((o) => {
        const sessions = o.attendance.filter((a) => a.sessionDate);
        const overall = o.attendance.find((a) => !a.sessionDate);
        const attended = sessions.filter((a) => a.attended).length;
        const attendance = overall
          ? `attended ${overall.sessionsAttended} of ${overall.sessionsOffered} sessions`
          : sessions.length ? `attended ${attended} of ${sessions.length} recorded sessions` : 'no attendance recorded';
        return { service: o.serviceName, organisation: o.organisationName, status: ONWARD_LABELS[o.status], attendance };
      }),
      signposted: plan.onward.filter((o) => o.kind === 'signpost').map((o) => ({ service: o.serviceName, organisation: o.organisationName })),
    },
    outcomes: checked.outcomes,
    discharge: { reason: checked.reason!.label, date: day(new Date()), summary: checked.summary },
    snomed,
  };
  // The life-cycle move (checked by the referrals area) and the summary share one transaction:
  // a referral is never discharged without its summary.
  return withTenant(pool, actor.tenantId, async (tx) => {
    await dischargeWithin(tx, actor, referralId, checked.reason!.label, context);
    const id = await q.insertDischarge(tx, actor.tenantId, { referralId, reason: checked.reason!.code, summary: checked.summary, outcomes: checked.outcomes, document, userId: actor.userId });
    // With MESH configured, the summary also goes to the GP record (GP Connect Send Document).
    await queueGpRecordSend(tx, actor.tenantId, { dischargeId: id, referralId });
    await recordAudit(tx, { actor, tenantId: actor.tenantId, action: 'discharge.create', entityType: 'discharge', entityId: id, personId: r.personId, reason: checked.reason!.code, requestId: context.requestId });
    const recipient = r.referrerEmail ?? r.referrerUserEmail;
    if (recipient && r.source !== 'self') {
      await queueNotification(tx, {
        tenantId: actor.tenantId, channel: 'email', recipient, template: 'discharge_summary_ready',
        personalisation: { reference: r.reference }, idempotencyKey: `discharge:${id}`,
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
  if (!UUID.test(dischargeId)) throw new NotFound('discharge summary');
  if (!hasRole(actor, 'link_worker', 'lead', 'referrer')) throw new Forbidden();
  const discharge = await withTenant(pool, actor.tenantId, (tx) => q.findDischarge(tx, actor.tenantId, dischargeId));
  if (!discharge) throw new NotFound('discharge summary');
  if (!hasRole(actor, 'link_worker', 'lead')) {
    const visible = await referrerView(pool, actor, context);
    if (!visible.some((v) => v.id === discharge.referralId)) throw new NotFound('discharge summary');
  }
  await withTenant(pool, actor.tenantId, (tx) => recordAudit(tx, { actor, tenantId: actor.tenantId, action: 'discharge.view', entityType: 'discharge', entityId: dischargeId, requestId: context.requestId }));
  return discharge;
}

/** The referrer's discharge summaries: those on referrals their referrals view shows. */
export async function referrerDischarges(pool: pg.Pool, actor: Actor, context: RequestContext = {}) {
  if (!hasRole(actor, 'referrer')) throw new Forbidden();
  const visible = await referrerView(pool, actor, context);
  const rows = await withTenant(pool, actor.tenantId, (tx) => q.dischargesOf(tx, actor.tenantId, visible.map((v) => v.id)));
  return rows.map((d) => ({ ...d, reference: visible.find((v) => v.id === d.referralId)!.reference }));
}

export async function dischargeOfReferral(pool: pg.Pool, actor: Actor, referralId: string) {
  requireStaff(actor);
  if (!UUID.test(referralId)) throw new NotFound('referral');
  return (await withTenant(pool, actor.tenantId, (tx) => q.dischargesOf(tx, actor.tenantId, [referralId])))[0];
}

/** For the person timeline (called inside its transaction). */
export async function dischargeTimeline(tx: import('../db/database.ts').Db, tenantId: string, referralIds: string[]) {
  return (await q.dischargesOf(tx, tenantId, referralIds)).map((d) => ({
    at: d.dischargedAt, kind: 'discharge', title: 'Discharged: summary sent to the referrer', detail: d.document.discharge.reason, referralId: d.referralId, href: `/discharge-summaries/${d.id}`,
  }));
}
