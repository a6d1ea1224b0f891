import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Db } from '../db/database.ts';
import { withTenant } from '../db/transaction.ts';
import { NEEDS } from '../vocabulary/needs.ts';
import { DISCHARGE_REASONS } from '../discharge/service.ts';
import { localDate } from '../calendar/london.ts';
import { csvField } from '../csv.ts';
import { hasRole, type Actor } from '../identity/actor.ts';
import { SNOMED } from '../interop/snomed.ts';
import { recordAudit, recordAuditBy } from '../identity/audit.ts';
import { scheduleJob, type JobContext } from '../jobs/service.ts';
import { ETHNIC_CATEGORIES } from '../people/ethnicity.ts';
import { SOURCES } from '../referrals/schema.ts';
import { STATUS_LABELS } from '../referrals/service.ts';
import { practices as tenantPractices } from '../people/service.ts';
import { Forbidden, InvalidInput, type FieldError } from '../web/errors.ts';
import * as q from './queries.ts';
import { suppressCounts, type Line, type Shown } from './suppression.ts';
import type { RequestContext } from '../identity/audit.ts';
import { isUuid } from '../db/ids.ts';

export { SMALL_TEXT, SECONDARY_TEXT } from './suppression.ts';

export const REPORTING_REFRESH_KIND = 'reporting.refresh';
export const REPORTING_NIGHTLY_SCAN = 'reporting.nightly-refresh';

export type RefreshTrigger = 'nightly' | 'manual' | 'demo';

export interface RefreshResult {
  refreshedAt: Date;
  rowCount: number;
  changedRows: number;
  durationMs: number;
}

const ETHNIC_GROUPS = [...new Set(ETHNIC_CATEGORIES.map((c) => c.group))];
const ETHNIC_MAP = { codes: ETHNIC_CATEGORIES.map((c) => c.code), groups: ETHNIC_CATEGORIES.map((c) => c.group) };

/**
 * Rebuilds one tenant's reporting read model from the referrals, contacts, discharges and social
 * prescriptions, and records the refresh. Call inside `withTenant` for that tenant.
 */
export async function refreshReporting(db: Db, tenantId: string, at: Date, trigger: RefreshTrigger): Promise<RefreshResult> {
  const started = performance.now();
  const counts = await q.refreshReferralFacts(db, tenantId, ETHNIC_MAP);
  counts.changedRows += await q.refreshOutcomeFacts(db, tenantId);
  const durationMs = Math.round(performance.now() - started);
  const result = { refreshedAt: at, ...counts, durationMs };
  await q.insertRefresh(db, tenantId, { ...result, trigger });
  return result;
}

/** The job: a nightly scan sets `scan` in the payload; "Refresh now" does not. */
export async function refreshJob(job: JobContext): Promise<void> {
  const tenantId = job.tenantId;
  if (!tenantId) return;
  const trigger: RefreshTrigger = job.payload.scan ? 'nightly' : 'manual';
  const result = await withTenant(job.pool, tenantId, (tx) => refreshReporting(tx, tenantId, job.clock.now(), trigger));
  job.log.info(
    { tenantId, trigger, rowCount: result.rowCount, changedRows: result.changedRows, durationMs: result.durationMs },
    'reporting refresh',
  );
}

export const READERS = ['lead', 'commissioner', 'researcher'] as const;

/**
 * Where reports run: the view is audited on the primary (`pool`); the figures, read models a
 * nightly job rebuilds, are read from `reads`, a streaming replica when DATABASE_READ_URL is set
 * (the app's `Database` fits). A plain pool does both.
 */
export interface ReportingPools {
  pool: pg.Pool;
  reads: pg.Pool;
}

export function reportingPools(db: pg.Pool | ReportingPools): ReportingPools {
  return 'reads' in db ? db : { pool: db, reads: db };
}

function requireReader(actor: Actor): void {
  if (!hasRole(actor, ...READERS)) throw new Forbidden();
}

/** The tenant's practices, for the dashboard's practice filter. */
export async function reportPractices(pool: pg.Pool, actor: Actor): Promise<{ id: string; name: string }[]> {
  requireReader(actor);
  return (await tenantPractices(pool, actor)).map((p) => ({ id: p.id, name: p.name }));
}

/**
 * "Refresh now" for leads: queues the same job the nightly scan runs. Asking again before that
 * refresh has run queues nothing more (the key names the refresh it follows).
 */
export async function requestRefresh(pool: pg.Pool, actor: Actor, context: RequestContext = {}): Promise<{ queued: boolean }> {
  if (!hasRole(actor, 'lead')) throw new Forbidden();
  return withTenant(pool, actor.tenantId, async (tx) => {
    const latest = await q.latestRefresh(tx, actor.tenantId);
    const id = await scheduleJob(tx, {
      kind: REPORTING_REFRESH_KIND,
      tenantId: actor.tenantId,
      payload: {},
      idempotencyKey: `reporting-refresh:${actor.tenantId}:after:${latest ? latest.refreshedAt.toISOString() : 'never'}`,
    });
    await recordAuditBy(tx, actor, context, { action: 'report.refresh-request', entityType: 'report', entityId: 'referrals' });
    return { queued: id !== undefined };
  });
}

// ---------------------------------------------------------------------------------------------
// Filters

export interface ReportQuery {
  practice?: string;
  from?: string;
  to?: string;
}

export interface ReportFilter {
  practiceId: string | null;
  /** Months as 'YYYY-MM', inclusive. */
  from: string;
  to: string;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/**
 * A month a filter was given as YYYY-MM (years 2000 to 2100); undefined when left empty, or when
 * it is not a month, which adds a message for `field` to `errors`.
 */
export function checkMonth(value: string | undefined, field: 'from' | 'to', label: string, errors: FieldError[]): string | undefined {
  const text = (value ?? '').trim();
  if (!text) return undefined;
  const match = MONTH.exec(text);
  if (!match || Number(match[1]) < 2000 || Number(match[1]) > 2100) {
    errors.push({ field, message: `Enter the ${label} month as a year and month, for example 2026-04` });
    return undefined;
  }
  return text;
}
export const MAX_MONTHS = 60;

/** 'YYYY-MM' of a moment in London. */
export function londonMonth(at: Date): string {
  return localDate(at).slice(0, 7);
}

function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  for (let m = from; m <= to && months.length <= MAX_MONTHS; m = addMonths(m, 1)) months.push(m);
  return months;
}

/**
 * Checks the dashboard's filters: a practice of the tenant (or all), and a range of months
 * ('YYYY-MM'); without a range, the last 12 months up to `now`.
 */
/** The tenant's practices, and the report's filter checked against them. */
export async function practicesAndFilter(
  pool: pg.Pool,
  actor: Actor,
  query: ReportQuery,
  now: Date,
): Promise<{ practices: { id: string; name: string }[]; filter: ReportFilter }> {
  const practices = await reportPractices(pool, actor);
  return {
    practices,
    filter: checkReportFilter(
      query,
      practices.map((p) => p.id),
      now,
    ),
  };
}

export function checkReportFilter(query: ReportQuery, practiceIds: readonly string[], now: Date): ReportFilter {
  const errors: FieldError[] = [];
  const practice = (query.practice ?? '').trim();
  if (practice && (!isUuid(practice) || !practiceIds.includes(practice.toLowerCase()))) {
    errors.push({ field: 'practice', message: 'Select a practice from the list' });
  }
  const to = checkMonth(query.to, 'to', 'end', errors) ?? londonMonth(now);
  const fromGiven = checkMonth(query.from, 'from', 'start', errors);
  const from = fromGiven ?? addMonths(to, -11);
  if (!errors.length && from > to) errors.push({ field: 'from', message: 'The start month must be the same as or before the end month' });
  if (!errors.length && monthsBetween(from, to).length > MAX_MONTHS) {
    errors.push({ field: 'from', message: `The months must span ${MAX_MONTHS} months or fewer` });
  }
  if (errors.length) throw new InvalidInput(errors);
  return { practiceId: practice ? practice.toLowerCase() : null, from, to };
}

// ---------------------------------------------------------------------------------------------
// The dashboard

export interface ReportRow {
  label: string;
  count: Shown;
}

export interface ReportTable {
  id: string;
  caption: string;
  /** The heading of the category column. */
  category: string;
  rows: ReportRow[];
  /** Shown when the rows add up to it. */
  total?: Shown;
  note?: string;
}

export interface Report {
  refresh: q.RefreshRow | undefined;
  filter: ReportFilter;
  practices: { id: string; name: string }[];
  total?: Shown;
  waiting?: { contacted: Shown; medianDays: number | null; p90Days: number | null };
  /** Social prescriptions made for these referrals: onward referrals, attended, signposting. */
  prescriptions?: { onwardReferrals: Shown; onwardAttended: Shown; signposted: Shown };
  tables: ReportTable[];
}

const MONTH_NAME = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const monthLabel = (month: string) => MONTH_NAME.format(new Date(`${month}-01T12:00:00Z`));

const QUINTILES: [string, string][] = [
  ['1', '1: most deprived 20% (deciles 1 and 2)'],
  ['2', '2 (deciles 3 and 4)'],
  ['3', '3 (deciles 5 and 6)'],
  ['4', '4 (deciles 7 and 8)'],
  ['5', '5: least deprived 20% (deciles 9 and 10)'],
  ['not_known', 'Not known'],
];

interface TableSpec {
  id: string;
  caption: string;
  category: string;
  dimension: q.Dimension;
  categories: [string, string][];
  /** The cell the rows add up to: 'total' for breakdowns of every referral. */
  totalCell?: string;
  note?: string;
}

// The monthly counts are of the referrals a GP practice codes with this concept, so the two can be compared.
const REFERRAL_CODE = SNOMED.referralToSocialPrescribing;
const REFERRAL_CODE_NOTE = `Each is a referral to social prescribing: SNOMED CT ${REFERRAL_CODE.code} ${REFERRAL_CODE.display}.`;

function tableSpecs(filter: ReportFilter): TableSpec[] {
  return [
    {
      id: 'by-month',
      caption: 'Referrals received by month',
      category: 'Month',
      dimension: 'month',
      totalCell: 'total',
      categories: monthsBetween(filter.from, filter.to).map((m) => [m, monthLabel(m)]),
      note: REFERRAL_CODE_NOTE,
    },
    {
      id: 'by-source',
      caption: 'Referrals by source',
      category: 'Source',
      dimension: 'source',
      totalCell: 'total',
      categories: Object.entries(SOURCES),
    },
    {
      id: 'by-need',
      caption: 'Referrals by need',
      category: 'Need',
      dimension: 'need',
      categories: NEEDS.map((n) => [n.code, n.label]),
      note: 'A referral can name more than one need, so these do not add up to the number of referrals.',
    },
    {
      id: 'by-status',
      caption: 'Referrals by current status',
      category: 'Status',
      dimension: 'status',
      totalCell: 'total',
      categories: Object.entries(STATUS_LABELS),
    },
    {
      id: 'by-discharge-reason',
      caption: 'Discharges by reason',
      category: 'Reason',
      dimension: 'dischargeReason',
      totalCell: 'by-status:discharged',
      categories: [...DISCHARGE_REASONS.map((r): [string, string] => [r.code, r.label]), ['not_recorded', 'Not recorded']],
    },
    {
      id: 'by-imd',
      caption: 'Referrals by deprivation (IMD quintile of the person’s area)',
      category: 'IMD quintile',
      dimension: 'imdQuintile',
      totalCell: 'total',
      categories: QUINTILES,
    },
    {
      id: 'by-ethnic-group',
      caption: 'Referrals by ethnic group',
      category: 'Ethnic group',
      dimension: 'ethnicGroup',
      totalCell: 'total',
      categories: ETHNIC_GROUPS.map((g) => [g, g]),
    },
  ];
}

/**
 * The reports dashboard: referrals by month, source, need and status, waiting times to first
 * contact, discharges by reason, and breakdowns by deprivation and ethnic group, from the read
 * model as of its last refresh, with small numbers suppressed. Viewing is audited (no person ids).
 */
export async function reportDashboard(
  db: pg.Pool | ReportingPools,
  actor: Actor,
  query: ReportQuery,
  now: Date,
  options: RequestContext & { download?: boolean } = {},
): Promise<Report> {
  requireReader(actor);
  const { pool, reads } = reportingPools(db);
  const { practices, filter } = await practicesAndFilter(pool, actor, query, now);
  await withTenant(pool, actor.tenantId, (tx) =>
    recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: options.download ? 'report.download' : 'report.view',
      entityType: 'report',
      entityId: 'referrals',
      reason: `practice=${filter.practiceId ?? 'all'} from=${filter.from} to=${filter.to}`,
      requestId: options.requestId,
    }),
  );
  return withTenant(reads, actor.tenantId, async (tx) => {
    const tenantId = actor.tenantId;
    const refresh = await q.latestRefresh(tx, tenantId);
    if (!refresh) return { refresh, filter, practices, tables: [] };
    const factFilter = { practiceId: filter.practiceId, fromMonth: `${filter.from}-01`, toMonth: `${filter.to}-01` };
    const waiting = await q.waitingFigures(tx, tenantId, factFilter);
    const specs = tableSpecs(filter);
    const cells: Record<string, number> = {
      total: waiting.total,
      contacted: waiting.contacted,
      onwardReferrals: waiting.onwardReferrals,
      onwardAttended: waiting.onwardAttended,
      signposted: waiting.signposted,
    };
    const lines: Line[] = [];
    for (const spec of specs) {
      const counts = await q.countBy(tx, tenantId, factFilter, spec.dimension);
      for (const [code] of spec.categories) cells[`${spec.id}:${code}`] = counts.get(code) ?? 0;
      if (spec.totalCell) lines.push({ total: spec.totalCell, members: spec.categories.map(([code]) => `${spec.id}:${code}`) });
    }
    const shown = suppressCounts(cells, lines);
    const tables = specs.map((spec): ReportTable => ({
      id: spec.id,
      caption: spec.caption,
      category: spec.category,
      note: spec.note,
      rows: spec.categories.map(([code, label]) => ({ label, count: shown[`${spec.id}:${code}`]! })),
      total: spec.totalCell ? shown[spec.totalCell] : undefined,
    }));
    // A median or percentile of fewer than 5 waits is too close to one person's wait.
    const enough = waiting.contacted >= 5;
    return {
      refresh,
      filter,
      practices,
      tables,
      total: shown.total,
      waiting: { contacted: shown.contacted!, medianDays: enough ? waiting.medianDays : null, p90Days: enough ? waiting.p90Days : null },
      prescriptions: { onwardReferrals: shown.onwardReferrals!, onwardAttended: shown.onwardAttended!, signposted: shown.signposted! },
    };
  });
}

/** The dashboard's figures as CSV (RFC 4180), suppressed exactly as on the page. */
export function reportCsv(report: Report): string {
  const lines = [['table', 'category', 'value']];
  if (report.refresh) {
    lines.push(['Figures as of', report.refresh.refreshedAt.toISOString(), '']);
    lines.push(['Filter', 'Months', `${report.filter.from} to ${report.filter.to}`]);
    lines.push(['Filter', 'Practice', report.practices.find((p) => p.id === report.filter.practiceId)?.name ?? 'All practices']);
    lines.push(['Referrals', 'Total', report.total!.text]);
    lines.push(['Referrals', 'SNOMED CT code', `${REFERRAL_CODE.code} ${REFERRAL_CODE.display}`]);
    lines.push(['Days to first contact', 'Referrals with a first contact', report.waiting!.contacted.text]);
    lines.push(['Days to first contact', 'Median', report.waiting!.medianDays === null ? 'not shown' : String(report.waiting!.medianDays)]);
    lines.push([
      'Days to first contact',
      '90th percentile',
      report.waiting!.p90Days === null ? 'not shown' : String(report.waiting!.p90Days),
    ]);
    lines.push(['Social prescriptions', 'Onward referrals to services', report.prescriptions!.onwardReferrals.text]);
    lines.push(['Social prescriptions', 'Onward referrals attended', report.prescriptions!.onwardAttended.text]);
    lines.push(['Social prescriptions', 'Signposted', report.prescriptions!.signposted.text]);
    for (const table of report.tables) {
      for (const row of table.rows) lines.push([table.caption, row.label, row.count.text]);
      if (table.total) lines.push([table.caption, 'Total', table.total.text]);
    }
  }
  // A cell a spreadsheet would read as a formula (a practice named "=..."): kept as text.
  const cell = (text: string) => csvField(/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);
  return lines.map((cells) => cells.map(cell).join(',')).join('\r\n') + '\r\n';
}
