import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/transaction.ts';
import { dischargeReferral } from '../../src/discharge/service.ts';
import {
  completeOutcomeLink,
  openOutcomeLink,
  outcomesForReferral,
  recordAdministration,
  sendOutcomeLink,
} from '../../src/outcomes/service.ts';
import '../../src/outcomes/timeline.ts';
import { getPerson, personPage, withdrawConsent } from '../../src/people/service.ts';
import { Forbidden, InvalidInput, NotFound, RuleBroken } from '../../src/web/errors.ts';
import { anActor } from '../support/factories.ts';
import { auditEvents } from '../support/identity-factories.ts';
import { answersForm, outcomeLinksSent } from '../support/outcomes-factories.ts';
import { aSocialPrescribingTeam, anEpisodeInContact } from '../support/plans-factories.ts';
import { aReferral, countRows } from '../support/referrals-factories.ts';
import { freshDatabase } from '../support/database.ts';

let database: Database;
before(async () => {
  database = await freshDatabase();
});
after(() => database.close());

const BASE = { baseUrl: 'https://signpost.example' };
const DAY = 86_400_000;

test('a link worker records a baseline and a review SWEMWBS; the list shows metric scores and the change from baseline', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team);
  const baseline = await recordAdministration(database.pool, team.worker, referralId, {
    instrument: 'swemwbs',
    timepoint: 'baseline',
    answers: answersForm('swemwbs', [2, 2, 2, 3, 2, 1, 2]),
  });
  assert.deepEqual(baseline.score, { raw: 14, metric: 15.32, bands: {} });
  await recordAdministration(database.pool, team.worker, referralId, {
    instrument: 'swemwbs',
    timepoint: 'review',
    answers: answersForm('swemwbs', [3, 3, 3, 3, 3, 3, 3]),
  });
  await recordAdministration(database.pool, team.lead, referralId, {
    instrument: 'swemwbs',
    timepoint: 'review',
    answers: answersForm('swemwbs', [4, 4, 3, 4, 4, 5, 4]),
  });

  const page = await outcomesForReferral(database.pool, team.worker, referralId);
  assert.deepEqual(
    page.administrations.map((a) => [a.timepoint, a.rawScore, a.metricScore, a.mode, a.completedBy]),
    [
      ['baseline', 14, 15.32, 'with_link_worker', team.worker.userId],
      ['review', 21, 19.25, 'with_link_worker', team.worker.userId],
      ['review', 28, 25.03, 'with_link_worker', team.lead.userId],
    ],
  );
  assert.deepEqual(
    page.administrations.map((a) => a.changes.map((c) => [c.change, c.direction])),
    [[], [[3.93, 'better']], [[9.71, 'better']]],
  );
  const events = (await auditEvents(database, team.tenantId)).filter((e) => e.action === 'outcome.record');
  assert.equal(events.length, 3);
});

test('a second baseline, a review before any baseline and a measure before contact are refused, and nothing is saved', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team);
  await assert.rejects(
    recordAdministration(database.pool, team.worker, referralId, {
      instrument: 'ucla3',
      timepoint: 'review',
      answers: answersForm('ucla3', [2, 2, 2]),
    }),
    (e: unknown) => e instanceof RuleBroken && /Record a baseline UCLA 3-item loneliness before a review/.test(e.message),
  );
  await recordAdministration(database.pool, team.worker, referralId, {
    instrument: 'ucla3',
    timepoint: 'baseline',
    answers: answersForm('ucla3', [3, 2, 3]),
  });
  await assert.rejects(
    recordAdministration(database.pool, team.worker, referralId, {
      instrument: 'ucla3',
      timepoint: 'baseline',
      answers: answersForm('ucla3', [1, 1, 1]),
    }),
    (e: unknown) => e instanceof RuleBroken && /already has a baseline/.test(e.message),
  );
  // A different instrument has its own baseline.
  await recordAdministration(database.pool, team.worker, referralId, {
    instrument: 'ons4',
    timepoint: 'baseline',
    answers: answersForm('ons4', [3, 4, 5, 8]),
  });
  await recordAdministration(database.pool, team.worker, referralId, {
    instrument: 'ucla3',
    timepoint: 'discharge',
    answers: answersForm('ucla3', [1, 2, 1]),
  });
  await assert.rejects(
    recordAdministration(database.pool, team.worker, referralId, {
      instrument: 'ucla3',
      timepoint: 'discharge',
      answers: answersForm('ucla3', [1, 1, 1]),
    }),
    RuleBroken,
  );
  const page = await outcomesForReferral(database.pool, team.worker, referralId);
  assert.deepEqual(
    page.administrations.map((a) => [a.instrument, a.timepoint, a.rawScore]),
    [
      ['ucla3', 'baseline', 8],
      ['ons4', 'baseline', null],
      ['ucla3', 'discharge', 4],
    ],
  );
  assert.equal(page.administrations[2]!.changes[0]!.direction, 'better', 'less lonely is better');

  const { referralId: notYet } = await aReferral(database, team.lead);
  await assert.rejects(
    recordAdministration(database.pool, team.lead, notYet, {
      instrument: 'ons4',
      timepoint: 'baseline',
      answers: answersForm('ons4', [5, 5, 5, 5]),
    }),
    (e: unknown) => e instanceof RuleBroken && /once contact is made/.test(e.message),
  );
});

test('missing and out-of-range answers are refused with a message naming each question, and nothing is saved', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team);
  const form = answersForm('swemwbs', [3, 3, 3, 3, 3, 3, 3]);
  delete form['item-useful'];
  form['item-relaxed'] = '6';
  await assert.rejects(
    recordAdministration(database.pool, team.worker, referralId, { instrument: 'swemwbs', timepoint: 'baseline', answers: form }),
    (e: unknown) => {
      assert.ok(e instanceof InvalidInput);
      assert.deepEqual(
        e.errors.map((x) => x.field),
        ['item-useful', 'item-relaxed'],
      );
      assert.match(e.errors[0]!.message, /Select an answer for question 2: I've been feeling useful/);
      return true;
    },
  );
  await assert.rejects(
    recordAdministration(database.pool, team.worker, referralId, { instrument: 'phq9', timepoint: 'later', answers: {} }),
    (e: unknown) => e instanceof InvalidInput && e.errors.map((x) => x.field).join() === 'instrument,timepoint',
  );
  assert.equal(await countRows(database, 'outcome_administration', team.tenantId), 0);
});

test('another tenant cannot see or record measures on a referral (404), and other roles are refused', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team);
  await recordAdministration(database.pool, team.worker, referralId, {
    instrument: 'ons4',
    timepoint: 'baseline',
    answers: answersForm('ons4', [3, 4, 5, 8]),
  });
  const stranger = await anActor(database, { roles: ['link_worker', 'lead'] });
  await assert.rejects(outcomesForReferral(database.pool, stranger, referralId), NotFound);
  await assert.rejects(
    recordAdministration(database.pool, stranger, referralId, {
      instrument: 'ons4',
      timepoint: 'review',
      answers: answersForm('ons4', [5, 5, 5, 5]),
    }),
    NotFound,
  );
  await assert.rejects(sendOutcomeLink(database.pool, stranger, referralId, { instrument: 'ons4', timepoint: 'review' }, BASE), NotFound);
  for (const role of ['referrer', 'provider', 'commissioner', 'admin'] as const) {
    const other = await anActor(database, { tenantId: team.tenantId, roles: [role] });
    await assert.rejects(outcomesForReferral(database.pool, other, referralId), Forbidden, role);
  }
  // Row-level security: the other tenant's transaction sees no outcome rows at all.
  const seen = await withTenant(
    database.pool,
    stranger.tenantId,
    async (tx) => (await tx.query('SELECT 1 FROM outcome_administration')).rowCount,
  );
  assert.equal(seen, 0);
});

test('a link is sent by email, opens the measure, is used once, and the answers are saved as self-completed', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId, personId } = await anEpisodeInContact(database, team, { email: 'lin.link@example.com', contactChannels: ['email'] });
  await recordAdministration(database.pool, team.worker, referralId, {
    instrument: 'swemwbs',
    timepoint: 'baseline',
    answers: answersForm('swemwbs', [3, 3, 3, 3, 3, 3, 3]),
  });
  const now = new Date();
  const sent = await sendOutcomeLink(database.pool, team.worker, referralId, { instrument: 'swemwbs', timepoint: 'review' }, BASE, now);
  assert.equal(sent.channel, 'email');
  const [message] = await outcomeLinksSent(database, team.tenantId);
  assert.equal(message!.recipient, 'lin.link@example.com');
  assert.match(message!.link, /^https:\/\/signpost\.example\/outcomes\/complete\/[A-Za-z0-9_-]{43}$/, 'only the opaque token in the URL');
  assert.equal(message!.personalisation.measure, 'SWEMWBS');
  // The token itself is never stored, only its SHA-256.
  const stored = await database.pool.query('SELECT 1 FROM outcome_link WHERE token_hash = $1 OR token_hash = $2', [message!.token, 'x']);
  assert.equal(stored.rowCount, 0);

  const opened = await openOutcomeLink(database.pool, message!.token, new Date(now.getTime() + DAY));
  assert.equal(opened.state, 'open');
  assert.ok(opened.state === 'open' && opened.instrument === 'swemwbs' && opened.timepoint === 'review');
  assert.doesNotMatch(JSON.stringify(opened), /Alex|Example|lin\.link/);

  await assert.rejects(completeOutcomeLink(database.pool, message!.token, answersForm('swemwbs', [4, 4, 4, 4, 4, 4, 9])), InvalidInput);
  const done = await completeOutcomeLink(
    database.pool,
    message!.token,
    answersForm('swemwbs', [4, 4, 3, 4, 4, 5, 4]),
    {},
    new Date(now.getTime() + 2 * DAY),
  );
  assert.equal(done.state, 'open');
  assert.ok(done.administrationId);
  assert.equal((await openOutcomeLink(database.pool, message!.token)).state, 'used');
  assert.equal(
    (await completeOutcomeLink(database.pool, message!.token, answersForm('swemwbs', [5, 5, 5, 5, 5, 5, 5]))).state,
    'used',
    'a second use saves nothing',
  );

  const page = await outcomesForReferral(database.pool, team.worker, referralId);
  const review = page.administrations.find((a) => a.timepoint === 'review')!;
  assert.deepEqual([review.mode, review.completedBy, review.metricScore, review.changes[0]!.change], ['self_completed', null, 25.03, 5.78]);
  const audit = (await auditEvents(database, team.tenantId)).filter(
    (e) => e.action === 'outcome.record' || e.action === 'outcome.link.send',
  );
  assert.deepEqual(audit.map((e) => e.action).sort(), ['outcome.link.send', 'outcome.record', 'outcome.record']);
  const timeline = (await personPage(database.pool, team.worker, personId)).timeline.filter((e) => e.kind === 'outcome');
  assert.deepEqual(timeline.map((e) => e.title).sort(), ['SWEMWBS baseline recorded', 'SWEMWBS review recorded']);
  assert.ok(timeline.some((e) => /completed by the person online/.test(e.detail ?? '')));
});

test('a link expires after 14 days (moving the clock), and an unknown or malformed token reveals nothing', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team);
  const now = new Date();
  await sendOutcomeLink(database.pool, team.worker, referralId, { instrument: 'ons4', timepoint: 'baseline' }, BASE, now);
  const [message] = await outcomeLinksSent(database, team.tenantId);
  assert.equal((await openOutcomeLink(database.pool, message!.token, new Date(now.getTime() + 14 * DAY - 60_000))).state, 'open');
  assert.equal((await openOutcomeLink(database.pool, message!.token, new Date(now.getTime() + 14 * DAY))).state, 'expired');
  assert.equal(
    (await completeOutcomeLink(database.pool, message!.token, answersForm('ons4', [5, 5, 5, 5]), {}, new Date(now.getTime() + 15 * DAY)))
      .state,
    'expired',
  );
  assert.equal(await countRows(database, 'outcome_administration', team.tenantId), 0);
  for (const token of ['A'.repeat(43), 'short', "x'; DROP TABLE outcome_link; --", '']) {
    assert.deepEqual(await openOutcomeLink(database.pool, token), { state: 'unknown' });
  }
});

test('a person who withdrew consent to contact, or chose no email or text, is sent nothing; SMS when they chose text messages', async () => {
  const team = await aSocialPrescribingTeam(database);
  const withdrawn = await anEpisodeInContact(database, team, { email: 'no.thanks@example.com', contactChannels: ['email'] });
  const person = await getPerson(database.pool, team.lead, withdrawn.personId);
  const consent = person.consents.find((c) => c.kind === 'contact') ?? person.consents.find((c) => c.kind === 'refer')!;
  await withdrawConsent(database.pool, team.lead, withdrawn.personId, consent.id, 'Asked not to be contacted');
  await assert.rejects(
    sendOutcomeLink(database.pool, team.worker, withdrawn.referralId, { instrument: 'ons4', timepoint: 'baseline' }, BASE),
    (e: unknown) => e instanceof RuleBroken && /withdrawn consent/.test(e.message),
  );
  const letterOnly = await anEpisodeInContact(database, team, { email: 'paper@example.com', contactChannels: ['letter'] });
  await assert.rejects(
    sendOutcomeLink(database.pool, team.worker, letterOnly.referralId, { instrument: 'ons4', timepoint: 'baseline' }, BASE),
    RuleBroken,
  );
  assert.equal((await outcomeLinksSent(database, team.tenantId)).length, 0);
  assert.equal(await countRows(database, 'outcome_link', team.tenantId), 0);

  const texter = await anEpisodeInContact(database, team, { email: null, phone: '07700 900456', contactChannels: ['sms'] });
  assert.equal(
    (await sendOutcomeLink(database.pool, team.worker, texter.referralId, { instrument: 'ucla3', timepoint: 'baseline' }, BASE)).channel,
    'sms',
  );
  const [sms] = await outcomeLinksSent(database, team.tenantId);
  assert.deepEqual([sms!.channel, sms!.recipient], ['sms', '07700 900456']);
});

test('after discharge only a discharge measure may be recorded, and no link sent', async () => {
  const team = await aSocialPrescribingTeam(database);
  const { referralId } = await anEpisodeInContact(database, team);
  await recordAdministration(database.pool, team.worker, referralId, {
    instrument: 'ucla3',
    timepoint: 'baseline',
    answers: answersForm('ucla3', [3, 3, 3]),
  });
  await dischargeReferral(database.pool, team.worker, referralId, {
    reason: 'person_chose_to_end',
    summary: 'Goes to the choir every week.',
  });
  await assert.rejects(
    recordAdministration(database.pool, team.worker, referralId, {
      instrument: 'ucla3',
      timepoint: 'review',
      answers: answersForm('ucla3', [2, 2, 2]),
    }),
    RuleBroken,
  );
  await assert.rejects(
    sendOutcomeLink(database.pool, team.worker, referralId, { instrument: 'ucla3', timepoint: 'discharge' }, BASE),
    RuleBroken,
  );
  await recordAdministration(database.pool, team.worker, referralId, {
    instrument: 'ucla3',
    timepoint: 'discharge',
    answers: answersForm('ucla3', [1, 2, 1]),
  });
  const page = await outcomesForReferral(database.pool, team.worker, referralId);
  assert.deepEqual([page.canRecord, page.canSendLink], [true, false]);
  assert.deepEqual(
    page.administrations.at(-1)!.changes.map((c) => [c.from, c.to, c.direction]),
    [[9, 4, 'better']],
  );
});
