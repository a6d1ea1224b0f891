/**
 * The one place the areas are wired together. Read this file to see what runs in the background
 * and when, what reacts to a referral changing state, and who feeds the person's timeline and the
 * caseload reminders. Nothing registers itself when its module is imported: `buildApp` and the
 * stand-alone worker (`createJobWorker`) both call `wireAreas` before anything runs.
 */
import type { Config } from './config.ts';
import { appointmentReminderJob, APPOINTMENT_REMINDER_KIND, appointmentTimeline } from './appointments/service.ts';
import { PRUNE_IDENTITY, pruneIdentityJob } from './identity/maintenance.ts';
import { fanOutToTenants } from './jobs/fan-out.ts';
import { pruneJobs, PRUNE_JOBS } from './jobs/maintenance.ts';
import { notifySettings, registerNotificationJobs } from './jobs/notify.ts';
import { registerJobHandler, registerRecurringJob, registerTenantScan, TENANT_FAN_OUT } from './jobs/queue.ts';
import { touchSentReferral } from './interop/fhir/sent-referrals.ts';
import { registerGpRecordJobs } from './interop/mesh/service.ts';
import { outcomeReminderSource } from './outcomes/reminders.ts';
import { outcomeTimelineSource } from './outcomes/timeline.ts';
import { registerReferralsOfPeople, registerTimelineSource } from './people/service.ts';
import { planTimelineSource } from './plans/timeline.ts';
import { notifyStatusChange } from './referrals/notifications.ts';
import { referralsOfPeople, registerTransitionListener } from './referrals/service.ts';
import {
  FEED_IMPORT_KIND,
  FRESHNESS_SCAN,
  FRESHNESS_SCAN_KIND,
  freshnessScan,
  importFeed,
  registerDirectoryJobs,
} from './reminders/directory.ts';
import { registerReminderSource, REMINDER_SCAN, REMINDER_SCAN_KIND, reminderScanJob } from './reminders/service.ts';
import { REPORTING_NIGHTLY_SCAN, REPORTING_REFRESH_KIND, refreshJob } from './reporting/service.ts';
import { ONWARD_NUDGE_KIND, ONWARD_NUDGE_SCAN, onwardNudgeScan } from './social-prescriptions/nudges.ts';
import { registerOnwardChangeListener } from './social-prescriptions/service.ts';

let wired = false;

/** Registers every area's listeners, sources, job handlers and schedules; safe to call again. */
export function wireAreas(): void {
  if (wired) return;
  wired = true;

  // When a referral changes state: the referrer (or the person who referred themself) is told.
  registerTransitionListener(notifyStatusChange);
  // A system that sent the referral over FHIR sees it change (its Task's lastUpdated), as does a
  // change to one of its social prescriptions; both are recorded in the same transaction.
  registerTransitionListener((tx, _actor, referral) => touchSentReferral(tx, referral.tenantId, referral.id));
  registerOnwardChangeListener(touchSentReferral);

  // The person page: their referrals (listed, on the timeline, and moved when two records merge),
  // then what other areas add to the timeline.
  registerReferralsOfPeople(referralsOfPeople);
  registerTimelineSource(planTimelineSource);
  registerTimelineSource(outcomeTimelineSource);
  registerTimelineSource((tx, tenantId, personIds) => appointmentTimeline(tx, tenantId, personIds));

  // Conditions the caseload reminder scan raises, beside its own (first contact, next actions).
  registerReminderSource(outcomeReminderSource);

  // Jobs, each with its schedule (London time). A tenant scan runs its job once per tenant.
  registerJobHandler(TENANT_FAN_OUT, fanOutToTenants, { maxAttempts: 5 });
  registerJobHandler(REMINDER_SCAN_KIND, reminderScanJob, { maxAttempts: 5 });
  // Every hour from 7am to 7pm on weekdays: reminders appear in the morning and clear the same day.
  registerTenantScan({ name: REMINDER_SCAN, cron: '0 7-19 * * 1-5', kind: REMINDER_SCAN_KIND });
  registerJobHandler(ONWARD_NUDGE_KIND, onwardNudgeScan, { maxAttempts: 5 });
  registerTenantScan({ name: ONWARD_NUDGE_SCAN, cron: '0 8 * * 1-5', kind: ONWARD_NUDGE_KIND });
  registerJobHandler(APPOINTMENT_REMINDER_KIND, appointmentReminderJob, { maxAttempts: 5 });
  registerJobHandler(FRESHNESS_SCAN_KIND, freshnessScan, { maxAttempts: 5 });
  registerTenantScan({ name: FRESHNESS_SCAN, cron: '0 9 * * 1', kind: FRESHNESS_SCAN_KIND });
  registerJobHandler(FEED_IMPORT_KIND, importFeed, { maxAttempts: 4, backoffSeconds: 600 });
  registerJobHandler(REPORTING_REFRESH_KIND, refreshJob, { maxAttempts: 3, backoffSeconds: 60 });
  // 02:15 every night: after the day's work, clear of the 1am to 2am hour the clocks change in,
  // and before the 03:30 maintenance jobs.
  registerTenantScan({ name: REPORTING_NIGHTLY_SCAN, cron: '15 2 * * *', kind: REPORTING_REFRESH_KIND });
  registerJobHandler(PRUNE_JOBS, pruneJobs);
  registerRecurringJob({ name: 'jobs-prune', cron: '30 3 * * *', kind: PRUNE_JOBS });
  registerJobHandler(PRUNE_IDENTITY, pruneIdentityJob);
  registerRecurringJob({ name: 'identity-prune', cron: '40 3 * * *', kind: PRUNE_IDENTITY });
}

/** The jobs that follow the running configuration (Notify, feeds, MESH), set when a worker starts. */
export function wireJobSettings(config: Config): void {
  registerNotificationJobs(notifySettings(config));
  registerDirectoryJobs({ freshnessMonths: config.directoryFreshnessMonths, feeds: config.orukFeeds });
  // Discharge summaries to the GP record over MESH, and the acknowledgements back, when configured.
  registerGpRecordJobs(config.mesh);
}
