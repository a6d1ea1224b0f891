import { createHash } from 'node:crypto';
import type { OrukFeed } from '../config.ts';
import { withTenant } from '../db/transaction.ts';
import { importServices, readOrukFeed } from '../directory/import/service.ts';
import { DEFAULT_FRESHNESS_MONTHS, staleServicesOfOrganizations } from '../directory/service.ts';
import { queueNotification } from '../jobs/outbox.ts';
import { PermanentJobError, registerRecurringJob, unregisterRecurringJob, type JobContext } from '../jobs/service.ts';
import { localDate } from '../calendar/london.ts';
import { providersWithDirectoryEntries } from '../identity/provider-organisations.ts';

export const FRESHNESS_SCAN = 'directory.freshness';
export const FRESHNESS_SCAN_KIND = 'directory.freshness-scan';
export const FEED_IMPORT_KIND = 'directory.feed-import';

export interface DirectoryJobSettings {
  /** Months after which an unverified service is stale (DIRECTORY_FRESHNESS_MONTHS). */
  freshnessMonths?: number;
  /** ORUK API feeds re-imported each on its own schedule (ORUK_FEED_URLS); none by default. */
  feeds?: OrukFeed[];
}

let settings: Required<DirectoryJobSettings> = { freshnessMonths: DEFAULT_FRESHNESS_MONTHS, feeds: [] };
let feedSchedules: string[] = [];

/** The recurring schedule of one feed, named by its address so the name stays put across restarts. */
export function feedScheduleName(url: string): string {
  return `directory-feed:${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
}

/**
 * Per tenant, every Monday: each provider organisation (with an email) whose directory services
 * have gone unverified past the freshness period is asked to check them, at most once a month.
 */
export async function freshnessScan(job: JobContext): Promise<void> {
  const tenantId = job.tenantId!;
  const now = job.clock.now();
  await withTenant(job.pool, tenantId, async (tx) => {
    const providers = await providersWithDirectoryEntries(tx, tenantId);
    if (providers.length === 0) return;
    const stale = await staleServicesOfOrganizations(
      tx,
      providers.map((p) => p.directoryOrganizationId),
      now,
      settings.freshnessMonths,
    );
    const month = localDate(now).slice(0, 7);
    for (const provider of providers) {
      const services = stale.filter((s) => s.organizationId === provider.directoryOrganizationId);
      if (services.length === 0) continue;
      await queueNotification(tx, {
        tenantId,
        channel: 'email',
        recipient: provider.email,
        template: 'directory_freshness_reminder',
        personalisation: {
          organisation_name: provider.name,
          count: String(services.length),
          services: services.map((s) => s.name).join('; '),
          months: String(settings.freshnessMonths),
          link: '/curation',
        },
        idempotencyKey: `directory-freshness:${provider.id}:${month}`,
      });
    }
  });
}

/** Re-imports one ORUK feed; importing the same feed again changes nothing. */
export async function importFeed(job: JobContext<{ feed?: string }>): Promise<void> {
  const feed = job.payload.feed;
  if (!feed || !settings.feeds.some((f) => f.url === feed))
    throw new PermanentJobError(`The feed ${feed ?? '(none)'} is not in ORUK_FEED_URLS.`);
  const read = await readOrukFeed(feed);
  const report = await importServices(job.pool, read.records, { sourceFeed: feed, notes: read.notes, unread: read.unread });
  job.log.info(
    {
      feed,
      added: report.added.length,
      changed: report.changed.length,
      unchanged: report.unchanged.length,
      invalid: report.invalid.length,
      repaired: report.problems.length,
      duplicates: report.duplicates.length,
      notes: report.notes,
    },
    'ORUK feed re-imported',
  );
}

/** The worker calls this with the running configuration (as it does for notifications). */
export function registerDirectoryJobs(options: DirectoryJobSettings): void {
  settings = { freshnessMonths: options.freshnessMonths ?? DEFAULT_FRESHNESS_MONTHS, feeds: options.feeds ?? [] };
  // One schedule per feed: each due run becomes one import job (a run missed while no worker was
  // up runs once when one starts). A feed taken out of the configuration loses its schedule.
  for (const name of feedSchedules) unregisterRecurringJob(name);
  feedSchedules = settings.feeds.map((feed) => {
    const name = feedScheduleName(feed.url);
    registerRecurringJob({ name, cron: feed.cron, kind: FEED_IMPORT_KIND, payload: { feed: feed.url } });
    return name;
  });
}
