import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Db } from '../../db/database.ts';
import { withTenant } from '../../db/transaction.ts';
import { lookupPostcode } from '../../geo/postcodes.ts';
import { NEEDS } from '../../vocabulary/needs.ts';
import { hasRole, type Actor } from '../../identity/actor.ts';
import { recordAudit, recordAuditBy } from '../../identity/audit.ts';
import { Forbidden, InvalidInput, NotFound, type FieldError } from '../../web/errors.ts';
import { checkMonth, londonMonth } from '../service.ts';
import {
  buildExtract,
  EXTRACT_FILES,
  pseudonym,
  type BuiltExtract,
  type ExtractFile,
  type ExtractSource,
  type Manifest,
} from './extract.ts';
import * as q from './queries.ts';
import { zipFiles } from './zip.ts';
import type { RequestContext } from '../../identity/audit.ts';

export { EXTRACT_FILES, type ExtractFile, type Manifest } from './extract.ts';

function requireResearcher(actor: Actor, tenantId = actor.tenantId): void {
  if (!hasRole(actor, 'researcher') || actor.tenantId !== tenantId) throw new Forbidden();
}

export interface ProjectInput {
  name?: string;
  purpose?: string;
  approvalReference?: string;
}

export interface CheckedProject {
  name: string;
  purpose: string;
  approvalReference: string;
}

/** The project form: a name, what the research is for, and the approval it runs under. */
export function checkProject(input: ProjectInput): CheckedProject {
  const errors: FieldError[] = [];
  const name = (input.name ?? '').trim();
  const purpose = (input.purpose ?? '').trim();
  const approvalReference = (input.approvalReference ?? '').trim();
  if (!name) errors.push({ field: 'name', message: 'Enter a name for the project' });
  else if (name.length > 120) errors.push({ field: 'name', message: 'The name must be 120 characters or fewer' });
  if (!purpose) errors.push({ field: 'purpose', message: 'Enter what the research is for' });
  else if (purpose.length > 2000) errors.push({ field: 'purpose', message: 'The purpose must be 2,000 characters or fewer' });
  if (!approvalReference)
    errors.push({ field: 'approvalReference', message: 'Enter the approval reference, for example the REC reference or IRAS ID' });
  else if (approvalReference.length > 100)
    errors.push({ field: 'approvalReference', message: 'The approval reference must be 100 characters or fewer' });
  if (errors.length) throw new InvalidInput(errors);
  return { name, purpose, approvalReference };
}

export async function listProjects(pool: pg.Pool, actor: Actor): Promise<q.ProjectRow[]> {
  requireResearcher(actor);
  return withTenant(pool, actor.tenantId, (tx) => q.listProjects(tx, actor.tenantId));
}

/** Creates a project with its own random pseudonymisation key, which never leaves the database. */
export async function createProject(
  pool: pg.Pool,
  actor: Actor | null,
  tenantId: string,
  input: ProjectInput,
  context: RequestContext = {},
): Promise<string> {
  if (actor) requireResearcher(actor, tenantId);
  const project = checkProject(input);
  return withTenant(pool, tenantId, async (tx) => {
    if (await q.findProjectIdByName(tx, tenantId, project.name)) {
      throw new InvalidInput([{ field: 'name', message: 'A project with this name already exists. Choose another name' }]);
    }
    const id = await q.insertProject(tx, tenantId, { ...project, key: randomBytes(32), createdBy: actor?.userId ?? null });
    await recordAudit(tx, {
      actor: actor ?? undefined,
      tenantId,
      action: 'research.project-create',
      entityType: 'research_project',
      entityId: id,
      reason: `approval ${project.approvalReference}`,
      requestId: context.requestId,
    });
    return id;
  });
}

export async function getProject(
  pool: pg.Pool,
  actor: Actor,
  projectId: string,
): Promise<{ project: q.ProjectRow; extracts: q.ExtractRow[] }> {
  requireResearcher(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const project = await q.findProject(tx, actor.tenantId, projectId);
    if (!project) throw new NotFound('project');
    return { project, extracts: await q.listExtracts(tx, actor.tenantId, projectId) };
  });
}

// ---------------------------------------------------------------------------------------------
// Filters: which referrals an extract holds

export interface ExtractFilterInput {
  from?: string;
  to?: string;
  /** A practice's id (the page), or its ODS code or name (the command line). */
  practice?: string;
  need?: string;
}

export interface ExtractFilter {
  /** Months received, 'YYYY-MM', inclusive; null for no limit. */
  from: string | null;
  to: string | null;
  practice: q.PracticeRow | null;
  need: { code: string; label: string } | null;
}

export const NO_FILTER: ExtractFilter = { from: null, to: null, practice: null, need: null };

/**
 * Checks an extract's filters against the tenant's practices and the need codes. Each is optional:
 * months received from and to (either may be left open), one practice, one need.
 */
export function checkExtractFilter(input: ExtractFilterInput, practices: readonly q.PracticeRow[]): ExtractFilter {
  const errors: FieldError[] = [];
  const from = checkMonth(input.from, 'from', 'first', errors) ?? null;
  const to = checkMonth(input.to, 'to', 'last', errors) ?? null;
  if (from && to && from > to) errors.push({ field: 'to', message: 'The last month must be the same as or after the first month' });
  const practiceText = (input.practice ?? '').trim().toLowerCase();
  const practice = practiceText
    ? (practices.find((p) => p.id === practiceText) ??
      practices.find((p) => p.odsCode.toLowerCase() === practiceText) ??
      practices.find((p) => p.name.toLowerCase() === practiceText) ??
      null)
    : null;
  if (practiceText && !practice) errors.push({ field: 'practice', message: 'Select a practice from the list' });
  const needText = (input.need ?? '').trim();
  const need = needText ? (NEEDS.find((n) => n.code === needText) ?? null) : null;
  if (needText && !need) errors.push({ field: 'need', message: 'Select a need from the list' });
  if (errors.length) throw new InvalidInput(errors);
  return { from, to, practice, need: need ? { code: need.code, label: need.label } : null };
}

/**
 * The filters as the manifest records them: every one named, "no limit"/"all"/"any" where none was
 * chosen. Practice names never leave in the files (the practice column is a pseudonym, and a
 * quasi-identifier), so the manifest names a chosen practice by its pseudonym; Signpost's own
 * page and audit name it (`named`).
 */
export function filterDescription(filter: ExtractFilter, key: Buffer | null): Record<string, string> {
  const practice = !filter.practice
    ? 'all practices, and referrals with no practice'
    : key
      ? `${PRACTICE_PREFIX}${pseudonym(key, filter.practice.id)} (the referral’s practice; the practice column uses the same pseudonyms)`
      : `${filter.practice.name} (${filter.practice.odsCode})`;
  return {
    received_from: filter.from ?? 'no limit (earliest referral)',
    received_to: filter.to ?? 'no limit (latest referral)',
    practice,
    need: filter.need ? `${filter.need.code} (${filter.need.label})` : 'any need',
  };
}

const PRACTICE_PREFIX = 'one practice, pseudonym ';

/** The practice a manifest's filter names by pseudonym, for Signpost's own page. */
function practiceNamed(manifestPractice: string | undefined, key: Buffer, practices: q.PracticeRow[]): string | null {
  if (!manifestPractice?.startsWith(PRACTICE_PREFIX)) return null;
  const found = practices.find((p) => manifestPractice.startsWith(`${PRACTICE_PREFIX}${pseudonym(key, p.id)}`));
  return found ? `${found.name} (${found.odsCode})` : null;
}

/** The tenant's practices, for the extract form's practice list and the command line. */
export async function extractPractices(pool: pg.Pool, actor: Actor | null, tenantId: string): Promise<q.PracticeRow[]> {
  if (actor) requireResearcher(actor, tenantId);
  return withTenant(pool, tenantId, (tx) => q.practicesOf(tx, tenantId));
}

async function readSource(tx: Db, tenantId: string, filter: ExtractFilter): Promise<ExtractSource> {
  const consenting = await q.consentingPeople(tx, tenantId);
  const matches = (r: q.SourceReferral) => {
    const month = londonMonth(r.receivedAt);
    return (
      (!filter.from || month >= filter.from) &&
      (!filter.to || month <= filter.to) &&
      (!filter.practice || r.practiceId === filter.practice.id) &&
      (!filter.need || r.reasons.includes(filter.need.code))
    );
  };
  // Only the referrals the filters choose, and only their contacts, measures and onward
  // referrals; people with none of those referrals are not in the extract at all.
  const referrals = (
    await q.referralsOf(
      tx,
      tenantId,
      consenting.map((p) => p.id),
    )
  ).filter(matches);
  const chosen = new Set(referrals.map((r) => r.id));
  const inChosen = <T extends { referralId: string }>(rows: T[]) => rows.filter((r) => chosen.has(r.referralId));
  const withReferral = new Set(referrals.map((r) => r.personId));
  const people = consenting.filter((p) => withReferral.has(p.id));
  const ids = people.map((p) => p.id);
  const imdFromPostcode = new Map<string, number>();
  for (const person of people) {
    if (person.imdDecile !== null || !person.postcode) continue;
    const found = await lookupPostcode(tx, person.postcode);
    if (found?.imdDecile) imdFromPostcode.set(person.id, found.imdDecile);
  }
  return {
    people,
    imdFromPostcode,
    referrals,
    contacts: inChosen(await q.contactsOf(tx, tenantId, ids)),
    measures: inChosen(await q.measuresOf(tx, tenantId, ids)),
    onward: inChosen(await q.onwardReferralsOf(tx, tenantId, ids)),
  };
}

export interface GeneratedExtract extends BuiltExtract {
  extractId: string;
  projectId: string;
}

/**
 * Generates, checks and stores an extract for a project, and audits it (who, which project, the
 * figures; never a person). `actor` is null for the command line.
 */
export async function generateExtract(
  pool: pg.Pool,
  actor: Actor | null,
  tenantId: string,
  projectId: string,
  now: Date,
  context: RequestContext = {},
  filterInput: ExtractFilterInput = {},
): Promise<GeneratedExtract> {
  if (actor) requireResearcher(actor, tenantId);
  return withTenant(pool, tenantId, async (tx) => {
    const project = await q.findProject(tx, tenantId, projectId);
    const key = await q.projectKey(tx, tenantId, projectId);
    if (!project || !key) throw new NotFound('project');
    const filter = checkExtractFilter(filterInput, await q.practicesOf(tx, tenantId));
    const built = buildExtract(
      await readSource(tx, tenantId, filter),
      key,
      { name: project.name, purpose: project.purpose, approvalReference: project.approvalReference },
      now,
      filterDescription(filter, key),
    );
    const extractId = await q.insertExtract(tx, tenantId, {
      projectId,
      generatedAt: now,
      generatedBy: actor?.userId ?? null,
      manifest: built.manifest,
      files: built.files,
    });
    const k = built.manifest.kAnonymity;
    await recordAudit(tx, {
      actor: actor ?? undefined,
      tenantId,
      action: 'research.extract',
      entityType: 'research_extract',
      entityId: extractId,
      reason: `project ${projectId}${actor ? '' : ' (command line)'}: ${k.peopleReleased} people released, ${k.peopleGeneralised} generalised, ${k.peopleSuppressed} suppressed; rows ${Object.entries(
        built.manifest.rowCounts,
      )
        .map(([f, n]) => `${f}=${n}`)
        .join(' ')}; filters ${Object.entries(filterDescription(filter, null))
        .map(([f, v]) => `${f}=${v}`)
        .join('; ')}`,
      requestId: context.requestId,
    });
    return { ...built, extractId, projectId };
  });
}

export async function getExtract(
  pool: pg.Pool,
  actor: Actor,
  projectId: string,
  extractId: string,
): Promise<{ project: q.ProjectRow; extract: q.ExtractRow & { manifest: Manifest }; practiceName: string | null }> {
  requireResearcher(actor);
  return withTenant(pool, actor.tenantId, async (tx) => {
    const project = await q.findProject(tx, actor.tenantId, projectId);
    const extract = project ? await q.findExtract(tx, actor.tenantId, projectId, extractId) : undefined;
    const key = await q.projectKey(tx, actor.tenantId, projectId);
    if (!project || !extract || !key) throw new NotFound('extract');
    const manifest = extract.manifest as unknown as Manifest;
    return {
      project,
      extract: extract as q.ExtractRow & { manifest: Manifest },
      practiceName: practiceNamed(manifest.filters.practice, key, await q.practicesOf(tx, actor.tenantId)),
    };
  });
}

/** One file of an extract, or (`file` null) all of them as a zip; each download is audited. */
export async function downloadExtract(
  pool: pg.Pool,
  actor: Actor,
  projectId: string,
  extractId: string,
  file: ExtractFile | null,
  context: RequestContext = {},
): Promise<{ name: string; body: Buffer | string }> {
  requireResearcher(actor);
  if (file !== null && !EXTRACT_FILES.includes(file)) throw new NotFound('file');
  return withTenant(pool, actor.tenantId, async (tx) => {
    const extract = await q.findExtract(tx, actor.tenantId, projectId, extractId);
    if (!extract) throw new NotFound('extract');
    const files = await q.extractFiles(tx, actor.tenantId, extractId, file);
    if (!files.length) throw new NotFound('file');
    await recordAuditBy(tx, actor, context, {
      action: 'research.download',
      entityType: 'research_extract',
      entityId: extractId,
      reason: file ?? 'zip',
    });
    if (file) return { name: file, body: files[0]!.content };
    return { name: 'extract.zip', body: zipFiles(files) };
  });
}

/** For the command line: the project of that name, in the named tenant or the only tenant that has one. */
export async function findProjectForCommand(
  pool: pg.Pool,
  name: string,
  tenant: { id: string } | undefined,
): Promise<{ tenantId: string; projectId: string } | { problem: string }> {
  const found = (await q.projectsNamed(pool, name)).filter((p) => !tenant || p.tenantId === tenant.id);
  if (found.length === 0) return { problem: `No research project called "${name}"${tenant ? ' in that tenant' : ''}.` };
  if (found.length > 1)
    return {
      problem: `More than one tenant has a project called "${name}" (${found.map((p) => p.tenantName).join(', ')}). Give --tenant.`,
    };
  return { tenantId: found[0]!.tenantId, projectId: found[0]!.projectId };
}
