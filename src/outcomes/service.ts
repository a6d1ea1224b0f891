import type pg from 'pg';
import { isWorking, loadEpisode } from '../assessment/service.ts';
import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import type { Actor } from '../identity/actor.ts';
import { recordAudit, recordAuditBy } from '../identity/audit.ts';
import { hashToken, newToken } from '../identity/sessions.ts';
import { queueNotification } from '../jobs/outbox.ts';
import { personChannel } from '../people/service.ts';
import { resolveReminders } from '../reminders/service.ts';
import { InvalidInput, RuleBroken, type FieldError } from '../web/errors.ts';
import { INSTRUMENTS, isInstrumentCode, isTimepoint, TIMEPOINT_LABELS, type InstrumentCode, type Timepoint } from './instruments.ts';
import * as q from './queries.ts';
import { changeFromBaseline, scoreAnswers, ScoringError, type Change, type Score } from './scoring.ts';
import type { RequestContext } from '../identity/audit.ts';

export type { AdministrationRow, LinkRow } from './queries.ts';

/** Days a link to complete a measure stays open. */
export const LINK_TTL_DAYS = 14;

/** Weeks after the baseline (or the last review) that an outcome review falls due, unless the tenant sets `outcomeReviewWeeks`. */
export const DEFAULT_OUTCOME_REVIEW_WEEKS = 12;

/** Statuses in which a measure may be recorded; a discharge measure may also follow the discharge itself. */
function canRecord(status: string, timepoint: Timepoint): boolean {
  return isWorking(status) || (timepoint === 'discharge' && status === 'discharged');
}

export interface Choice {
  instrument: InstrumentCode;
  timepoint: Timepoint;
}

/** Checks the instrument and timepoint chosen on the outcomes page. */
export function checkChoice(input: { instrument?: string; timepoint?: string }): Choice {
  const errors: FieldError[] = [];
  const instrument = input.instrument ?? '';
  const timepoint = input.timepoint ?? '';
  if (!isInstrumentCode(instrument)) errors.push({ field: 'instrument', message: 'Select which measure to record' });
  if (!isTimepoint(timepoint))
    errors.push({ field: 'timepoint', message: 'Select when in the support this is: baseline, review or discharge' });
  if (errors.length) throw new InvalidInput(errors);
  return { instrument: instrument as InstrumentCode, timepoint: timepoint as Timepoint };
}

/**
 * Reads the answers to one instrument from form fields `item-<id>` and scores them. Each missing or
 * unreadable answer gets its own message naming the question.
 */
export function checkAnswers(
  instrument: InstrumentCode,
  form: Record<string, string | undefined>,
): { answers: Record<string, number>; score: Score } {
  const def = INSTRUMENTS[instrument];
  const errors: FieldError[] = [];
  const answers: Record<string, number> = {};
  def.items.forEach((item, n) => {
    const value = (form[`item-${item.id}`] ?? '').trim();
    const option = item.options.find((o) => String(o.value) === value);
    if (!value) errors.push({ field: `item-${item.id}`, message: `Select an answer for question ${n + 1}: ${item.text}` });
    else if (!option) errors.push({ field: `item-${item.id}`, message: `Select one of the answers given for question ${n + 1}` });
    else answers[item.id] = option.value;
  });
  if (errors.length) throw new InvalidInput(errors);
  try {
    return { answers, score: scoreAnswers(instrument, answers) };
  } catch (error) {
    if (error instanceof ScoringError)
      throw new InvalidInput([{ field: error.itemId ? `item-${error.itemId}` : 'form', message: error.message }]);
    throw error;
  }
}

export interface ScoredAdministration extends q.AdministrationRow {
  score: Score;
  /** Change from this referral's baseline of the same instrument; empty for the baseline itself. */
  changes: Change[];
}

function withScores(rows: q.AdministrationRow[]): ScoredAdministration[] {
  const scored = rows.map((r) => ({
    ...r,
    score: { raw: r.rawScore, metric: r.metricScore, bands: r.instrument === 'ons4' ? scoreAnswers('ons4', r.answers).bands : {} },
  }));
  return scored.map((r) => {
    const baseline = scored.find((b) => b.instrument === r.instrument && b.timepoint === 'baseline');
    const changes = baseline && r.timepoint !== 'baseline' ? changeFromBaseline(r.instrument, baseline, r) : [];
    return { ...r, changes };
  });
}

/** A referral's outcome measures with scores and change from baseline, and the links sent. */
export async function outcomesForReferral(pool: pg.Pool, actor: Actor, referralId: string, context: RequestContext = {}) {
  const episode = await loadEpisode(pool, actor, referralId, context);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const administrations = withScores(await q.administrationsOfReferral(tx, actor.tenantId, referralId));
    const links = await q.linksOfReferral(tx, actor.tenantId, referralId);
    await recordAuditBy(tx, actor, context, {
      action: 'outcome.view',
      entityType: 'referral',
      entityId: referralId,
      personId: episode.referral.personId,
    });
    return {
      referral: episode.referral,
      administrations,
      links,
      status: episode.referral.status,
      // After discharge only a discharge measure may still be recorded, and no link sent.
      canRecord: isWorking(episode.referral.status) || episode.referral.status === 'discharged',
      canSendLink: isWorking(episode.referral.status),
    };
  });
}

/** Change is measured from the baseline: one baseline and one discharge per instrument, reviews after a baseline. */
function timepointRule(existing: Pick<q.AdministrationRow, 'instrument' | 'timepoint'>[], choice: Choice): void {
  const name = INSTRUMENTS[choice.instrument].shortName;
  if (choice.timepoint !== 'review' && existing.some((a) => a.instrument === choice.instrument && a.timepoint === choice.timepoint)) {
    throw new RuleBroken(`This referral already has a ${choice.timepoint} ${name}. Record a review instead.`, 'timepoint');
  }
  if (choice.timepoint !== 'baseline' && !existing.some((a) => a.instrument === choice.instrument && a.timepoint === 'baseline')) {
    throw new RuleBroken(`Record a baseline ${name} before a ${choice.timepoint}: change is measured from the baseline.`, 'timepoint');
  }
}

async function insertChecked(
  tx: Db,
  tenantId: string,
  referralId: string,
  personId: string,
  choice: Choice,
  answers: Record<string, number>,
  score: Score,
  by: { completedBy: string | null; mode: q.Mode },
  now: Date,
): Promise<string> {
  timepointRule(await q.administrationsOfReferral(tx, tenantId, referralId), choice);
  const id = await q.insertAdministration(tx, tenantId, {
    referralId,
    personId,
    instrument: choice.instrument,
    timepoint: choice.timepoint,
    completedAt: now,
    completedBy: by.completedBy,
    mode: by.mode,
    rawScore: score.raw,
    metricScore: score.metric,
    answers,
  });
  // Two saves at once: the unique index lets one through.
  if (!id)
    timepointRule(
      [
        { instrument: choice.instrument, timepoint: choice.timepoint },
        { instrument: choice.instrument, timepoint: 'baseline' },
      ],
      choice,
    );
  // A measure recorded clears "baseline missing" and restarts the review clock at once.
  await resolveReminders(tx, tenantId, referralId, 'outcome_review', now);
  return id!;
}

/**
 * Before the questions are shown: the referral (a 404 for another tenant's), a measure that may be
 * recorded now, and a timepoint that fits what is already recorded.
 */
export async function startAdministration(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: { instrument?: string; timepoint?: string },
  context: RequestContext = {},
) {
  const episode = await loadEpisode(pool, actor, referralId, context);
  const choice = checkChoice(input);
  if (!canRecord(episode.referral.status, choice.timepoint)) {
    throw new RuleBroken('Outcome measures can be recorded once contact is made and until discharge.');
  }
  const existing = await withTenant(pool, actor.tenantId, (tx) => q.administrationsOfReferral(tx, actor.tenantId, referralId));
  timepointRule(existing, choice);
  return { referral: episode.referral, choice };
}

/** The link worker records a measure they asked the person, face to face or on the phone. */
export async function recordAdministration(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: { instrument?: string; timepoint?: string; answers: Record<string, string | undefined> },
  context: RequestContext = {},
  now = new Date(),
): Promise<{ id: string; choice: Choice; score: Score }> {
  const episode = await loadEpisode(pool, actor, referralId, context);
  const choice = checkChoice(input);
  if (!canRecord(episode.referral.status, choice.timepoint)) {
    throw new RuleBroken('Outcome measures can be recorded once contact is made and until discharge.');
  }
  const { answers, score } = checkAnswers(choice.instrument, input.answers);
  const id = await withTenant(pool, actor.tenantId, async (tx) => {
    const administrationId = await insertChecked(
      tx,
      actor.tenantId,
      referralId,
      episode.referral.personId,
      choice,
      answers,
      score,
      { completedBy: actor.userId, mode: 'with_link_worker' },
      now,
    );
    await recordAuditBy(tx, actor, context, {
      action: 'outcome.record',
      entityType: 'outcome_administration',
      entityId: administrationId,
      personId: episode.referral.personId,
      reason: `${choice.instrument} ${choice.timepoint}, with link worker`,
    });
    return administrationId;
  });
  return { id, choice, score };
}

// ---------------------------------------------------------------------------------------------
// A link for the person to complete a measure themselves

/**
 * Sends the person a single-use link (valid for 14 days) to answer a measure themselves, on the
 * channel they chose, unless they withdrew consent to contact. Only the token's SHA-256 is stored.
 */
export async function sendOutcomeLink(
  pool: pg.Pool,
  actor: Actor,
  referralId: string,
  input: { instrument?: string; timepoint?: string },
  context: RequestContext & { baseUrl: string },
  now = new Date(),
): Promise<{ linkId: string; channel: 'email' | 'sms' }> {
  const episode = await loadEpisode(pool, actor, referralId, context);
  const choice = checkChoice(input);
  if (!isWorking(episode.referral.status)) throw new RuleBroken('Links can be sent once contact is made and until discharge.');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const reach = await personChannel(tx, actor.tenantId, episode.referral.personId);
    if (!reach) {
      throw new RuleBroken(
        'We cannot send a link: the person has not chosen email or text messages with an address or number for them, or has withdrawn consent to be contacted. Ask them the questions instead.',
        'instrument',
      );
    }
    const token = newToken();
    const expiresAt = new Date(now.getTime() + LINK_TTL_DAYS * 86_400_000);
    const linkId = await q.insertLink(tx, actor.tenantId, {
      referralId,
      personId: episode.referral.personId,
      instrument: choice.instrument,
      timepoint: choice.timepoint,
      tokenHash: hashToken(token),
      channel: reach.channel,
      sentBy: actor.userId,
      createdAt: now,
      expiresAt,
    });
    await queueNotification(tx, {
      tenantId: actor.tenantId,
      channel: reach.channel,
      recipient: reach.recipient,
      template: 'outcome_measure_link',
      personalisation: {
        service: await q.tenantName(tx, actor.tenantId),
        measure: INSTRUMENTS[choice.instrument].shortName,
        link: `${context.baseUrl}/outcomes/complete/${token}`,
        expires: `${LINK_TTL_DAYS} days`,
      },
      idempotencyKey: `outcome-link:${linkId}`,
      secretKeys: ['link'],
    });
    await recordAuditBy(tx, actor, context, {
      action: 'outcome.link.send',
      entityType: 'outcome_link',
      entityId: linkId,
      personId: episode.referral.personId,
      reason: `${choice.instrument} ${choice.timepoint} by ${reach.channel}`,
    });
    return { linkId, channel: reach.channel };
  });
}

export type LinkState =
  | { state: 'unknown' }
  | { state: 'used' | 'expired' }
  | { state: 'open'; instrument: InstrumentCode; timepoint: Timepoint; serviceName: string; expiresAt: Date };

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,100}$/;

type OpenLink = { tx: Db; tenantId: string; link: q.LinkRow; shown: LinkState & { state: 'open' } };

/**
 * Finds the link a token names and, if it is still open, runs `work` with it locked in its tenant's
 * transaction. An unknown, used or expired token never reaches `work`.
 */
async function withOpenLink<T>(pool: pg.Pool, token: string, now: Date, work: (open: OpenLink) => Promise<T>): Promise<T | LinkState> {
  if (!TOKEN_SHAPE.test(token)) return { state: 'unknown' };
  const tokenHash = hashToken(token);
  const tenantId = await withTenant(pool, null, (tx) => q.linkTenant(tx, tokenHash));
  if (!tenantId) return { state: 'unknown' };
  return withTenant(pool, tenantId, async (tx) => {
    const link = await q.findLinkForUpdate(tx, tenantId, tokenHash);
    if (!link) return { state: 'unknown' as const };
    if (link.usedAt) return { state: 'used' as const };
    if (link.expiresAt.getTime() <= now.getTime()) return { state: 'expired' as const };
    const shown = {
      state: 'open' as const,
      instrument: link.instrument,
      timepoint: link.timepoint,
      serviceName: await q.tenantName(tx, tenantId),
      expiresAt: link.expiresAt,
    };
    return work({ tx, tenantId, link, shown });
  });
}

/** What the public page may show for a token: nothing about anyone, only the measure to answer. */
export async function openOutcomeLink(pool: pg.Pool, token: string, now = new Date()): Promise<LinkState> {
  return withOpenLink(pool, token, now, async ({ shown }) => shown);
}

/**
 * The person's answers through their link: saved as a self-completed administration, and the link
 * is used up in the same transaction. Bad answers are refused (nothing saved, the link stays open).
 */
export async function completeOutcomeLink(
  pool: pg.Pool,
  token: string,
  form: Record<string, string | undefined>,
  context: RequestContext = {},
  now = new Date(),
): Promise<LinkState & { administrationId?: string }> {
  return withOpenLink(pool, token, now, async ({ tx, tenantId, link, shown }) => {
    const { answers, score } = checkAnswers(link.instrument, form);
    let administrationId: string;
    try {
      administrationId = await insertChecked(
        tx,
        tenantId,
        link.referralId,
        link.personId,
        { instrument: link.instrument, timepoint: link.timepoint },
        answers,
        score,
        { completedBy: null, mode: 'self_completed' },
        now,
      );
    } catch (error) {
      // Recorded meanwhile with the link worker: say so in the person's words, nothing more.
      if (error instanceof RuleBroken)
        throw new RuleBroken(
          'Your link worker already has your answers to these questions, so there is nothing more to do. Thank you.',
          'form',
        );
      throw error;
    }
    await q.markLinkUsed(tx, tenantId, link.id, administrationId, now);
    await recordAudit(tx, {
      tenantId,
      action: 'outcome.record',
      entityType: 'outcome_administration',
      entityId: administrationId,
      personId: link.personId,
      reason: `${link.instrument} ${link.timepoint}, self-completed through a link`,
      requestId: context.requestId,
    });
    return { ...shown, administrationId };
  });
}

// ---------------------------------------------------------------------------------------------
// Person timeline, reminders

/** Timeline entries for the person page: one per administration, with its score. */
export async function outcomeTimeline(tx: Db, tenantId: string, personIds: string[]) {
  return withScores(await q.administrationsOfPeople(tx, tenantId, personIds)).map((a) => ({
    at: a.completedAt,
    kind: 'outcome',
    title: `${INSTRUMENTS[a.instrument].shortName} ${TIMEPOINT_LABELS[a.timepoint].toLowerCase()} recorded`,
    detail: [
      scoreText(a),
      a.mode === 'self_completed' ? 'completed by the person online' : a.completedByName ? `with ${a.completedByName}` : '',
    ]
      .filter(Boolean)
      .join(' · '),
    referralId: a.referralId,
    href: `/referrals/${a.referralId}/outcomes`,
  }));
}

/**
 * A page of the measures recorded on these referrals, for another area that has already decided
 * which referrals its caller may see (the FHIR server: those a system sent) and audits what it shows.
 */
export async function administrationsOfReferrals(tx: Db, tenantId: string, filter: q.AdministrationFilter, limit: number, offset: number) {
  const rows = await q.administrationsOfReferrals(tx, tenantId, filter, limit, offset);
  // A page past the last has no row to carry the window count.
  const total = rows[0]?.total ?? (offset > 0 ? ((await q.administrationsOfReferrals(tx, tenantId, filter, 1, 0))[0]?.total ?? 0) : 0);
  return { administrations: rows, total };
}

/** "Metric score 19.25 (raw 21)", "Score 6 of 9", or the ONS4 answers. */
export function scoreText(a: { instrument: InstrumentCode; score: Score; answers: Record<string, number> }): string {
  if (a.instrument === 'swemwbs') return `Metric score ${a.score.metric?.toFixed(2)} (raw ${a.score.raw})`;
  if (a.instrument === 'ucla3') return `Score ${a.score.raw} of 9`;
  return INSTRUMENTS.ons4.items.map((i) => `${ONS4_SHORT[i.id] ?? i.id} ${a.answers[i.id]} (${a.score.bands[i.id]})`).join(', ');
}

export const ONS4_SHORT: Record<string, string> = {
  life_satisfaction: 'Life satisfaction',
  worthwhile: 'Worthwhile',
  happiness: 'Happiness',
  anxiety: 'Anxiety',
};

export function reviewWeeks(settings: Record<string, unknown>): number {
  const value = settings.outcomeReviewWeeks;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 104 ? value : DEFAULT_OUTCOME_REVIEW_WEEKS;
}

/** Bulk loading of outcome measures for the demo and the benchmarks. */
export { bulkInsertAdministrations, type BulkAdministration } from './queries.ts';
