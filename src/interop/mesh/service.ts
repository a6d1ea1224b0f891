import type pg from 'pg';
import type { MeshConfig } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import { withTenant } from '../../db/transaction.ts';
import { dischargeOfReferralWithin, dischargePdf, dischargeRecordWithin } from '../../discharge/service.ts';
import { practicesWithin, tenantLetterhead } from '../../identity/service.ts';
import { findPersonWithin } from '../../people/service.ts';
import { referralRecordWithin } from '../../referrals/service.ts';
import { hasRole, type Actor } from '../../identity/actor.ts';
import { recordAudit } from '../../identity/audit.ts';
import { PermanentJobError, registerJobHandler, registerRecurringJob, scheduleJob, type JobContext } from '../../jobs/service.ts';

type JobLog = JobContext['log'];
import { Forbidden, NotFound, RuleBroken } from '../../web/errors.ts';
import { MeshClient, MeshError, type MeshMailbox } from './client.ts';
import { buildItk3Message, readItk3Response, SEND_DOCUMENT_WORKFLOW } from './itk3.ts';
import * as q from './queries.ts';
import { isUuid } from '../../db/ids.ts';

export { MeshClient, meshAuthorization, MeshError } from './client.ts';
export { buildItk3Message, readItk3Response, SEND_DOCUMENT_ACK_WORKFLOW, SEND_DOCUMENT_WORKFLOW, ITK } from './itk3.ts';
export type { GpRecordState } from './queries.ts';

export const SEND_TO_GP_RECORD = 'gp-record.send';
export const POLL_GP_RECORD_INBOX = 'gp-record.poll-inbox';

/**
 * Whether this process sends discharge summaries over MESH: set once at start-up from the
 * configuration (by the app and by the job worker), read by the discharge hook.
 */
let configured: MeshConfig | undefined;

export function configureGpRecordTransport(mesh: MeshConfig | undefined): void {
  configured = mesh;
}

export function gpRecordTransportConfigured(): boolean {
  return configured !== undefined;
}

function mailboxOf(mesh: MeshConfig, overrides: Partial<MeshMailbox> = {}): MeshMailbox {
  return {
    url: mesh.url,
    mailboxId: mesh.mailboxId,
    password: mesh.password,
    sharedKey: mesh.sharedKey,
    clientCertPath: mesh.clientCertPath,
    clientKeyPath: mesh.clientKeyPath,
    caCertPath: mesh.caCertPath,
    ...overrides,
  };
}

/** The person's registered practice (else the practice the referral came from), with its MESH mailbox. */
async function recipientOfReferral(tx: Db, tenantId: string, referralId: string) {
  const referral = await referralRecordWithin(tx, tenantId, referralId);
  if (!referral) return undefined;
  const practiceId = referral.personPracticeId ?? referral.practiceId;
  const [practice] = await practicesWithin(tx, tenantId, practiceId ? [practiceId] : []);
  return {
    nhsNumber: referral.nhsNumber,
    odsCode: practice?.odsCode ?? null,
    practiceName: practice?.name ?? null,
    mailbox: practice?.meshMailboxId ?? null,
  };
}

/** A message locked for the sender, with everything its ITK3 message is built from. */
async function lockMessageForSending(tx: Db, tenantId: string, messageId: string) {
  const message = await q.lockMessage(tx, tenantId, 'id', messageId);
  if (!message) return undefined;
  const discharge = await dischargeRecordWithin(tx, tenantId, message.dischargeId);
  const referral = await referralRecordWithin(tx, tenantId, message.referralId);
  const person = referral ? await findPersonWithin(tx, tenantId, referral.personId) : undefined;
  if (!discharge || !person) return undefined;
  return {
    ...message,
    document: discharge.document,
    givenName: person.givenName,
    familyName: person.familyName,
    nhsNumber: person.nhsNumber,
    dateOfBirth: person.dateOfBirth,
    sex: person.sex,
    tenantName: (await tenantLetterhead(tx, tenantId)).name,
  };
}

/**
 * The hook the discharge calls inside its own transaction: records that the summary is to go to
 * the GP record and schedules the job that sends it, or records why it cannot go electronically
 * (no NHS number, no practice, no MESH mailbox for the practice). Does nothing without MESH.
 */
export async function queueGpRecordSend(tx: Db, tenantId: string, discharge: { dischargeId: string; referralId: string }): Promise<void> {
  if (!configured) return;
  const to = await recipientOfReferral(tx, tenantId, discharge.referralId);
  const reason = !to?.nhsNumber
    ? 'The person has no NHS number on their record, so the practice could not match the summary to their record.'
    : !to.odsCode
      ? 'The person has no GP practice on their record.'
      : !to.mailbox
        ? `${to.practiceName} (${to.odsCode}) has no MESH mailbox in the practice list.`
        : null;
  const id = await q.insertMessage(tx, tenantId, {
    ...discharge,
    state: reason ? 'not_sent' : 'queued',
    reason,
    practiceOdsCode: to?.odsCode ?? null,
    practiceName: to?.practiceName ?? null,
    toMailbox: to?.mailbox ?? null,
  });
  if (id && !reason) {
    await scheduleJob(tx, {
      kind: SEND_TO_GP_RECORD,
      tenantId,
      payload: { messageId: id },
      idempotencyKey: `${SEND_TO_GP_RECORD}:${id}:0`,
    });
  }
}

/**
 * Sends a summary again after what stopped it is put right (a mailbox added to the practice, an
 * NHS number recorded) or after the practice rejected it; or sends one written before MESH was
 * set up. Staff only.
 */
export async function resendToGpRecord(pool: pg.Pool, actor: Actor, referralId: string, requestId?: string): Promise<void> {
  if (!hasRole(actor, 'link_worker', 'lead')) throw new Forbidden();
  if (!isUuid(referralId)) throw new NotFound('referral');
  await withTenant(pool, actor.tenantId, async (tx) => {
    const dischargeId = (await dischargeOfReferralWithin(tx, actor.tenantId, referralId))?.id;
    if (!dischargeId) throw new NotFound('discharge summary');
    if (!configured) throw new RuleBroken('Sending to GP records is not set up for this service (MESH is not configured).');
    const message = await q.lockMessage(tx, actor.tenantId, 'referralId', referralId);
    if (message && !['not_sent', 'failed', 'rejected'].includes(message.state))
      throw new RuleBroken('This summary is already on its way to the GP record.');
    const to = await recipientOfReferral(tx, actor.tenantId, referralId);
    const reason = !to?.nhsNumber
      ? 'The person still has no NHS number on their record.'
      : !to.odsCode
        ? 'The person still has no GP practice on their record.'
        : !to.mailbox
          ? `${to.practiceName} (${to.odsCode}) still has no MESH mailbox in the practice list.`
          : null;
    if (reason) throw new RuleBroken(`${reason} Put that right first, then send it again.`);
    const recipient = { practiceOdsCode: to!.odsCode, practiceName: to!.practiceName, toMailbox: to!.mailbox };
    let messageId = message?.id;
    if (message) {
      await q.updateRecipient(tx, actor.tenantId, message.id, recipient);
      await q.updateMessage(tx, actor.tenantId, message.id, { state: 'queued', reason: null });
    } else {
      messageId = await q.insertMessage(tx, actor.tenantId, { dischargeId, referralId, state: 'queued', reason: null, ...recipient });
    }
    await scheduleJob(tx, {
      kind: SEND_TO_GP_RECORD,
      tenantId: actor.tenantId,
      payload: { messageId: messageId! },
      idempotencyKey: `${SEND_TO_GP_RECORD}:${messageId}:${Date.now()}`,
    });
    await recordAudit(tx, {
      actor,
      tenantId: actor.tenantId,
      action: 'gp-record.resend',
      entityType: 'discharge',
      entityId: dischargeId,
      requestId,
    });
  });
}

export interface GpRecordStatus {
  referralId: string;
  /** MESH is configured for this installation. */
  configured: boolean;
  message: (q.GpRecordMessageRow & { acknowledgements: q.AcknowledgementRow[] }) | undefined;
  canResend: boolean;
}

/** Where the referral's discharge summary has got to on its way into the GP record. */
export async function gpRecordStatus(pool: pg.Pool, actor: Actor, referralId: string): Promise<GpRecordStatus> {
  if (!hasRole(actor, 'link_worker', 'lead', 'referrer')) throw new Forbidden();
  if (!isUuid(referralId)) throw new NotFound('referral');
  const message = await withTenant(pool, actor.tenantId, (tx) => q.messageOfReferral(tx, actor.tenantId, referralId));
  return {
    referralId,
    configured: configured !== undefined,
    message,
    // A summary written before MESH was set up (no message) may be sent now too.
    canResend:
      configured !== undefined &&
      (!message || ['not_sent', 'failed', 'rejected'].includes(message.state)) &&
      hasRole(actor, 'link_worker', 'lead'),
  };
}

interface SendPayload {
  messageId: string;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Sends one summary. The row is marked `sending` (committed) before MESH is called, with the
 * tracking id as MESH's local id; a later attempt that finds it `sending` asks MESH's tracking
 * for that local id first, so a worker that died after MESH took the message does not send it twice.
 */
export function sendToGpRecordHandler(mesh: MeshConfig, options: Partial<MeshMailbox> = {}) {
  return async (job: JobContext<SendPayload>) => {
    const tenantId = job.tenantId;
    if (!tenantId) throw new PermanentJobError('A GP record message must belong to a tenant.');
    const client = new MeshClient(mailboxOf(mesh, options));
    try {
      const row = await withTenant(job.pool, tenantId, async (tx) => {
        const found = await lockMessageForSending(tx, tenantId, job.payload.messageId);
        if (!found || !['queued', 'sending'].includes(found.state)) return undefined;
        if (found.state === 'queued')
          await q.updateMessage(tx, tenantId, found.id, { state: 'sending', reason: found.reason, countAttempt: true });
        return found;
      });
      if (!row) return;
      if (row.state === 'sending') {
        const earlier = await client.trackByLocalId(row.trackingId).catch(() => undefined);
        if (earlier) {
          await withTenant(job.pool, tenantId, (tx) =>
            q.updateMessage(tx, tenantId, row.id, { state: 'sent', meshMessageId: earlier, sentAt: job.clock.now() }),
          );
          return;
        }
      }
      if (!row.nhsNumber || !row.toMailbox || !row.practiceOdsCode) {
        await withTenant(job.pool, tenantId, (tx) =>
          q.updateMessage(tx, tenantId, row.id, { state: 'not_sent', reason: 'The NHS number or the practice mailbox is missing.' }),
        );
        return;
      }
      const bundle = buildItk3Message({
        trackingId: row.trackingId,
        dischargeId: row.dischargeId,
        document: row.document,
        pdf: await dischargePdf(row.document),
        patient: {
          nhsNumber: row.nhsNumber,
          givenName: row.givenName,
          familyName: row.familyName,
          dateOfBirth: row.dateOfBirth,
          sex: row.sex,
        },
        sender: { odsCode: mesh.senderOdsCode, name: row.tenantName, phone: mesh.senderPhone, mailboxId: mesh.mailboxId },
        recipient: { odsCode: row.practiceOdsCode, name: row.practiceName ?? row.practiceOdsCode, mailboxId: row.toMailbox },
        author: row.document.supportOffered.linkWorker,
        at: job.clock.now(),
      });
      try {
        const meshMessageId = await client.send({
          to: row.toMailbox,
          workflowId: SEND_DOCUMENT_WORKFLOW,
          body: Buffer.from(JSON.stringify(bundle)),
          localId: row.trackingId,
          subject: 'Social prescribing discharge summary',
          fileName: `${row.trackingId}.json`,
          contentType: 'application/fhir+json',
        });
        await withTenant(job.pool, tenantId, (tx) =>
          q.updateMessage(tx, tenantId, row.id, { state: 'sent', meshMessageId, sentAt: job.clock.now() }),
        );
        job.log.info({ messageId: row.id, meshMessageId }, 'discharge summary sent to the practice over MESH');
      } catch (error) {
        const lastTry = job.attempt >= job.maxAttempts;
        const permanent = error instanceof MeshError && !error.retryable;
        const reason = describe(error);
        await withTenant(job.pool, tenantId, (tx) =>
          q.updateMessage(tx, tenantId, row.id, { state: permanent || lastTry ? 'failed' : 'queued', reason }),
        );
        if (permanent) throw new PermanentJobError(reason);
        throw error;
      }
    } finally {
      client.close();
    }
  };
}

/**
 * Reads the installation's MESH inbox: each ITK3 acknowledgement is matched to its message by
 * tracking id, recorded once, moves the message on, and only then is acknowledged to MESH (so a
 * crash part way leaves it in the inbox for the next poll). Anything else is left for a person.
 */
export async function pollGpRecordInbox(
  pool: pg.Pool,
  mesh: MeshConfig,
  log: JobLog,
  options: Partial<MeshMailbox> = {},
): Promise<{ processed: number; left: number }> {
  const client = new MeshClient(mailboxOf(mesh, options));
  let processed = 0;
  let left = 0;
  try {
    for (const meshMessageId of await client.inbox()) {
      const download = await client.download(meshMessageId);
      const report = download.messageType === 'REPORT';
      const response = report ? undefined : readItk3Response(download.body);
      const trackingId = report ? download.localId : response?.answers;
      const tenantId = trackingId && isUuid(trackingId) ? await q.tenantOfTracking(pool, trackingId) : undefined;
      if (!tenantId || (!report && !response)) {
        log.warn(
          { meshMessageId, workflowId: download.workflowId, messageType: download.messageType },
          'MESH inbox message is not an acknowledgement of a summary we sent; left in the inbox',
        );
        left++;
        continue;
      }
      await withTenant(pool, tenantId, async (tx) => {
        const message = await q.lockMessage(tx, tenantId, 'trackingId', trackingId!);
        if (!message) return;
        if (report) {
          // MESH itself could not deliver it (the mailbox closed, the message expired unread).
          if (download.statusSuccess !== 'SUCCESS') {
            await q.updateMessage(tx, tenantId, message.id, {
              state: 'failed',
              reason: `MESH could not deliver it: ${download.statusDescription ?? 'no reason given'}`,
            });
          }
          return;
        }
        const ack = response!;
        const fresh = await q.insertAcknowledgement(tx, tenantId, {
          messageId: message.id,
          meshMessageId,
          kind: ack.kind,
          responseCode: ack.responseCode,
          itkCode: ack.itkCode ?? null,
          reason: ack.reason ?? null,
        });
        if (!fresh) return;
        if (!ack.positive) {
          await q.updateMessage(tx, tenantId, message.id, { state: 'rejected', reason: ack.reason ?? null });
        } else if (ack.kind === 'business') {
          if (message.state !== 'rejected') await q.updateMessage(tx, tenantId, message.id, { state: 'accepted', reason: null });
        } else if (['sending', 'sent', 'queued'].includes(message.state)) {
          await q.updateMessage(tx, tenantId, message.id, { state: 'delivered', reason: null });
        }
        await recordAudit(tx, {
          tenantId,
          action: `gp-record.${ack.kind}-ack`,
          entityType: 'discharge',
          entityId: message.dischargeId,
          reason: ack.positive ? 'ok' : (ack.reason ?? ack.responseCode),
        });
      });
      await client.acknowledge(meshMessageId);
      processed++;
    }
  } finally {
    client.close();
  }
  return { processed, left };
}

/** Registers the send job and the inbox poll (every minute); called by the worker when MESH is configured. */
export function registerGpRecordJobs(mesh: MeshConfig | undefined, options: Partial<MeshMailbox> = {}): void {
  configureGpRecordTransport(mesh);
  if (!mesh) return;
  registerJobHandler(SEND_TO_GP_RECORD, sendToGpRecordHandler(mesh, options), { maxAttempts: 8, backoffSeconds: 60 });
  registerJobHandler(
    POLL_GP_RECORD_INBOX,
    async (job) => {
      const { processed, left } = await pollGpRecordInbox(job.pool, mesh, job.log, options);
      if (processed || left) job.log.info({ processed, left }, 'MESH inbox read');
    },
    { maxAttempts: 1 },
  );
  registerRecurringJob({ name: 'gp-record-inbox', cron: '* * * * *', kind: POLL_GP_RECORD_INBOX });
}

const STATE_LABELS: Record<q.GpRecordState, { tag: string; colour: string }> = {
  queued: { tag: 'Not yet sent', colour: 'yellow' },
  sending: { tag: 'Not yet sent', colour: 'yellow' },
  sent: { tag: 'Sent', colour: 'blue' },
  delivered: { tag: 'Delivered', colour: 'blue' },
  accepted: { tag: 'Accepted by the practice', colour: 'green' },
  rejected: { tag: 'Rejected by the practice', colour: 'red' },
  failed: { tag: 'Not sent', colour: 'red' },
  not_sent: { tag: 'Not sent electronically', colour: 'grey' },
};

const londonDateTime = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** Words for the page: a tag, what happened in order, and what to do; no HTML. */
export function describeGpRecordStatus(status: GpRecordStatus) {
  const m = status.message;
  if (!m) {
    return {
      tag: { text: 'Not sent electronically', classes: 'nhsuk-tag--grey' },
      lines: [
        status.configured
          ? 'This summary was not sent to the GP record electronically: it was written before sending to GP records was set up.'
          : 'This summary was not sent to the GP record electronically: sending to GP records (MESH) is not set up for this service. Share the summary page or its PDF with the practice.',
      ],
      reason: null as string | null,
      canResend: status.canResend,
      referralId: status.referralId,
      resendLabel: 'Send to the GP record',
    };
  }
  const label = STATE_LABELS[m.state];
  const practice = m.practiceName ? `${m.practiceName}${m.practiceOdsCode ? ` (${m.practiceOdsCode})` : ''}` : 'the practice';
  const lines: string[] = [];
  if (m.state === 'queued' || m.state === 'sending') {
    lines.push(
      m.attempts > 0 && m.reason
        ? `Not yet sent to ${practice}: the last try failed and it will be tried again automatically.`
        : `Not yet sent to ${practice}: it is waiting to be sent.`,
    );
  } else if (m.state === 'not_sent') {
    lines.push('This summary was not sent to the GP record electronically. Share the summary page or its PDF with the practice.');
  } else if (m.state === 'failed') {
    lines.push(`Sending to ${practice} failed and will not be tried again by itself.`);
  }
  if (m.sentAt) lines.push(`Sent to ${practice}'s MESH mailbox on ${londonDateTime.format(m.sentAt)}.`);
  for (const a of m.acknowledgements) {
    const when = londonDateTime.format(a.receivedAt);
    if (a.kind === 'infrastructure')
      lines.push(
        a.responseCode === 'ok' ? `Delivered to the practice's system on ${when}.` : `The practice's system could not take it (${when}).`,
      );
    else
      lines.push(
        a.responseCode === 'ok' ? `Accepted into the GP record by the practice on ${when}.` : `Rejected by the practice on ${when}.`,
      );
  }
  return {
    tag: { text: label.tag, classes: `nhsuk-tag--${label.colour}` },
    lines,
    reason: m.state === 'accepted' || m.state === 'delivered' || m.state === 'sent' ? null : m.reason,
    canResend: status.canResend,
    referralId: status.referralId,
    resendLabel: 'Send to the GP record again',
  };
}
