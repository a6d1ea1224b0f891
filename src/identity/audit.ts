import type { Db } from '../db/database.ts';
import type { Actor } from './actor.ts';
import * as q from './queries.ts';

/** What a request tells the audit about itself: its id, to join audit rows to the log line. */
export interface RequestContext {
  requestId?: string;
}

/** One audit event: who (from the actor), what, which record, why. */
export interface AuditEntry {
  actor?: Pick<Actor, 'userId' | 'roles'> | undefined;
  /** The tenant whose chain the event joins; null for installation-wide events. */
  tenantId: string | null;
  /** What happened, as `<area>.<verb>`: `person.view`, `referral.create`, `sign-in.success`. */
  action: string;
  entityType: string;
  entityId?: string | null;
  personId?: string | null;
  reason?: string | null;
  requestId?: string | null;
}

/**
 * Appends an audit event inside the caller's transaction, so it is kept exactly when the change
 * it describes is. The database trigger chains it to the tenant's previous event by hash.
 */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await q.insertAuditEvent(db, {
    tenantId: entry.tenantId,
    userId: entry.actor?.userId ?? null,
    roles: entry.actor?.roles ?? [],
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    personId: entry.personId ?? null,
    reason: entry.reason ?? null,
    requestId: entry.requestId ?? null,
  });
}

/** An event of what the actor did in their own tenant, during the request `context`. */
export function recordAuditBy(
  db: Db,
  actor: Pick<Actor, 'userId' | 'roles' | 'tenantId'>,
  context: RequestContext,
  event: Omit<AuditEntry, 'actor' | 'tenantId' | 'requestId'>,
): Promise<void> {
  return recordAudit(db, { ...event, actor, tenantId: actor.tenantId, requestId: context.requestId });
}

export interface BrokenLink {
  chain: string;
  seq: number;
  id: string;
  problem: string;
}

export interface VerifyResult {
  events: number;
  chains: number;
  broken: BrokenLink | undefined;
}

/**
 * Walks every chain in order and reports the first broken link: a row whose content no longer
 * matches its hash, whose previous hash is not the hash of the row before it in its chain, or a
 * chain whose recorded head is not its last row (rows deleted from the end). Runs as the owner.
 */
export async function verifyAuditChains(db: Db): Promise<VerifyResult> {
  const rows = await q.auditEventsInChainOrder(db);
  const heads = { rows: await q.auditChainHeads(db) };
  const last = new Map<string, { hash: string; seq: number; id: string }>();
  let broken: BrokenLink | undefined;
  for (const row of rows) {
    const before = last.get(row.chain);
    const expectedPrev = before?.hash ?? '0'.repeat(64);
    const problem =
      row.computed !== row.hash
        ? 'its content does not match its hash (the row was changed)'
        : row.prevHash !== expectedPrev
          ? 'its previous hash does not match the event before it in its chain (an event was removed or changed)'
          : undefined;
    // Chains are walked one after another; the first break in sequence order is the one to report.
    if (problem && (!broken || row.seq < broken.seq)) broken = { chain: row.chain, seq: row.seq, id: row.id, problem };
    last.set(row.chain, { hash: row.hash, seq: row.seq, id: row.id });
  }
  if (!broken) {
    for (const head of heads.rows) {
      if (head.lastSeq === 0) continue;
      const end = last.get(head.chain);
      if (!end || end.hash !== head.lastHash) {
        broken = {
          chain: head.chain,
          seq: head.lastSeq,
          id: end?.id ?? '',
          problem: 'the chain ends before its recorded last event (events were deleted from the end)',
        };
        break;
      }
    }
  }
  return { events: rows.length, chains: last.size, broken };
}

/** Audit events about these people (a person and the records merged into them), oldest first. */
export function auditEventsAboutPeople(db: Db, tenantId: string, personIds: string[]) {
  return q.auditEventsAboutPeople(db, tenantId, personIds);
}
