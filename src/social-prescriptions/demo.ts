import { raiseConcern, recordAssessment } from '../assessment/service.ts';
import { demoActor, demoPerson } from '../demo/actors.ts';
import type { DemoSeeder } from '../demo/seed.ts';
import { withTenant } from '../db/transaction.ts';
import { dischargeReferral, recordedOutcomes } from '../discharge/service.ts';
import { getServiceSummary } from '../directory/service.ts';
import { samplePostcodes } from '../geo/postcodes.ts';
import { allocateReferral, intakeReferral, recordContact } from '../referrals/service.ts';
import { addGoal, updateGoalProgress } from '../plans/service.ts';
import { createOnwardReferral, providerAttendance, providerRespond } from './service.ts';

const PEOPLE = [
  { givenName: 'Maureen', familyName: 'Hollis (demo)', dateOfBirth: '1948-03-12', reasons: ['loneliness', 'gardening'] },
  { givenName: 'Dev', familyName: 'Chauhan (demo)', dateOfBirth: '1979-09-30', reasons: ['money', 'mental-wellbeing'] },
  { givenName: 'Irene', familyName: 'Walsh (demo)', dateOfBirth: '1956-01-21', reasons: ['loneliness'] },
  { givenName: 'Kwame', familyName: 'Mensah (demo)', dateOfBirth: '1990-07-04', reasons: ['physical-activity'] },
];

/**
 * Social prescribing in the demo: four people with assessments and plans, onward referrals to
 * the gardening collective (whose provider user sees them) in several states, signposting, an
 * open safeguarding concern, and one discharged with a summary for the demo referrer. Everything
 * goes through the area's services, after the referrals seeder.
 */
export const socialPrescribingSeeder: DemoSeeder = {
  area: 'social-prescribing',
  async seed(context) {
    const ids = context.ids;
    const tenantId = ids.tenant?.[0];
    const [workerId] = ids.linkWorkers ?? [];
    const leadId = ids['user:lead']?.[0];
    const referrerId = ids['user:referrer']?.[0];
    const providerId = ids['user:provider']?.[0];
    const providerOrganisationId = ids.providerOrganisations?.[0];
    const practiceId = ids.practices?.[0] ?? null;
    if (!tenantId || !workerId || !leadId || !referrerId || !providerId || !providerOrganisationId) {
      throw new Error('The social prescribing demo needs the identity demo first.');
    }
    const pool = context.database.pool;
    const worker = demoActor(tenantId, workerId, 'link_worker', 'Sam Okafor');
    const lead = demoActor(tenantId, leadId, 'lead', 'Priya Desai');
    const referrer = demoActor(tenantId, referrerId, 'referrer', 'Dr Amira Shah', { practiceId });
    const provider = demoActor(tenantId, providerId, 'provider', 'Tom Whitaker', { providerOrganisationId });

    // A service the provider organisation runs, and one elsewhere to signpost to.
    const services = await withTenant(pool, null, async (tx) => {
      const summaries = [];
      for (const id of (ids.directoryServices ?? []).slice(0, 60)) {
        const s = await getServiceSummary(tx, id);
        if (s?.active) summaries.push(s);
      }
      return summaries;
    });
    const own = services.find((s) => s.organizationId === ids.directoryOrganizations?.[0]);
    const elsewhere = services.find((s) => s.organizationId !== ids.directoryOrganizations?.[0]);
    if (!own || !elsewhere) return;

    const postcodes = samplePostcodes();
    const episodes = [];
    for (const [i, p] of PEOPLE.entries()) {
      const intake = await withTenant(pool, tenantId, (tx) =>
        intakeReferral(tx, tenantId, referrer, {
          person: demoPerson({
            nhsNumber: null,
            givenName: p.givenName,
            familyName: p.familyName,
            dateOfBirth: p.dateOfBirth,
            postcode: postcodes[i % postcodes.length] ?? null,
            phone: '07700 900' + String(200 + i),
            contactChannels: ['phone', 'sms'],
            practiceId,
          }),
          referral: {
            source: 'gp',
            channel: 'web',
            referrerName: null,
            referrerOrganisation: null,
            referrerEmail: null,
            reasons: p.reasons,
            context: 'Demo referral for social prescribing.',
            urgency: 'routine',
            consentToRefer: true,
            consentToShare: true,
            risk: null,
          },
          personChoice: 'new',
        }),
      );
      await allocateReferral(pool, lead, intake.referralId, { linkWorkerId: worker.userId });
      await recordContact(pool, worker, intake.referralId, {
        outcome: 'made',
        mode: 'face_to_face',
        minutes: 45,
        approach: 'guided_conversation',
        notes: null,
      });
      await recordAssessment(pool, worker, intake.referralId, {
        whatMatters: 'Feeling part of something again and getting out of the house more.',
        needs: p.reasons.map((need, n) => ({ need, rating: n === 0 ? 'high' : 'some', notes: null })),
        strengths: 'Friendly, keen to try new things',
        barriers: ['confidence', 'transport'],
        barrierNotes: null,
        risks: null,
      });
      const reviewDate = new Date(Date.now() + (i - 1) * 14 * 86_400_000).toISOString().slice(0, 10);
      // The first plan was agreed weeks ago, so its review is already overdue.
      const goalId = await addGoal(
        pool,
        worker,
        intake.referralId,
        {
          goal: 'Get out of the house twice a week',
          steps: 'Try the group on Tuesday with Sam',
          whoDoesWhat: 'Sam books the first visit',
          reviewDate,
        },
        {},
        { agreedOn: new Date(Date.now() - 28 * 86_400_000).toISOString().slice(0, 10) },
      );
      episodes.push({ ...intake, goalId });
    }
    const [sent, attending, discharged, declined] = episodes;

    // New in the provider's inbox, with an open safeguarding concern on the person.
    // The demo's link worker has told each person when a service is full or has a waiting list.
    await createOnwardReferral(pool, worker, sent!.referralId, {
      kind: 'refer',
      serviceId: own.id,
      confirmCapacity: true,
      consent: true,
      share: ['needs'],
      need: 'gardening',
    });
    await raiseConcern(pool, worker, sent!.referralId, 'Mentioned a neighbour who takes money for shopping and keeps the change.');

    // Accepted and attending, and signposted elsewhere.
    const a = await createOnwardReferral(pool, worker, attending!.referralId, {
      kind: 'refer',
      serviceId: own.id,
      confirmCapacity: true,
      consent: true,
      share: ['needs', 'accessibility'],
    });
    await providerRespond(pool, provider, a.id, {
      to: 'accepted',
      firstSessionDate: new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10),
    });
    await providerAttendance(pool, provider, a.id, {
      sessionDate: new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10),
      attended: true,
    });
    await createOnwardReferral(pool, worker, attending!.referralId, { kind: 'signpost', serviceId: elsewhere.id, confirmCapacity: true });
    await updateGoalProgress(pool, worker, attending!.goalId, { progress: 'in_progress', note: 'Went to the first session' });

    // Completed and discharged with a summary for the referrer.
    const c = await createOnwardReferral(pool, worker, discharged!.referralId, {
      kind: 'refer',
      serviceId: own.id,
      confirmCapacity: true,
      consent: true,
    });
    await providerRespond(pool, provider, c.id, { to: 'accepted' });
    await providerAttendance(pool, provider, c.id, { attended: true, sessionsAttended: 6, sessionsOffered: 8 });
    await providerRespond(pool, provider, c.id, { to: 'completed' });
    await updateGoalProgress(pool, worker, discharged!.goalId, { progress: 'achieved' });
    await dischargeReferral(pool, worker, discharged!.referralId, {
      reason: 'goals_met',
      summary: 'Irene now goes to the gardening group each week and has made friends there.',
      // Only what was recorded: the demo invents no scores.
      outcomes: await recordedOutcomes(pool, worker, discharged!.referralId),
    });

    // Declined by the provider.
    const d = await createOnwardReferral(pool, worker, declined!.referralId, {
      kind: 'refer',
      serviceId: own.id,
      confirmCapacity: true,
      consent: true,
    });
    await providerRespond(pool, provider, d.id, { to: 'declined', reason: 'full', detail: 'Waiting list reopens in spring' });

    ids.socialPrescribingReferrals = episodes.map((e) => e.referralId);
  },
};
