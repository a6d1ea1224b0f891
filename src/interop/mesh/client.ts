import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

/**
 * A client for NHS England's MESH API (Message Exchange for Social care and Health): the
 * authorisation header, send (chunked when large), inbox, download (with chunks), acknowledge
 * and tracking by local id. Real MESH is HTTPS with mutual TLS: the mailbox's client certificate
 * and key, and the CA of MESH's server certificate, are given to the HTTPS agent.
 */
export interface MeshMailbox {
  /** The MESH API's base, e.g. https://msg.intspineservices.nhs.uk (no trailing slash). */
  url: string;
  mailboxId: string;
  password: string;
  /** The shared secret the MESH API's HMAC-SHA256 is keyed with (the environment's, not the mailbox's). */
  sharedKey: string;
  clientCertPath?: string;
  clientKeyPath?: string;
  caCertPath?: string;
  /** Bytes per chunk when sending; MESH takes chunks of up to 100 MB, 20 MB is the usual choice. */
  chunkBytes?: number;
  timeoutMs?: number;
}

export interface MeshSend {
  to: string;
  workflowId: string;
  body: Buffer;
  /** Our own id for the message; the tracking API finds the message by it. */
  localId?: string;
  subject?: string;
  fileName?: string;
  contentType?: string;
}

export interface MeshDownload {
  messageId: string;
  body: Buffer;
  from: string | undefined;
  workflowId: string | undefined;
  localId: string | undefined;
  messageType: string | undefined;
  /** For a delivery report: the message it reports on, and MESH's status. */
  linkedMessageId: string | undefined;
  statusSuccess: string | undefined;
  statusDescription: string | undefined;
}

/** MESH answered with an error status; `retryable` is false when sending the same again cannot help. */
export class MeshError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const DEFAULT_CHUNK_BYTES = 20 * 1024 * 1024;

/** yyyyMMddHHmm in UTC, as the MESH authorisation header wants it. */
function meshTimestamp(at: Date): string {
  return at.toISOString().replace(/[-T:]/g, '').slice(0, 12);
}

/**
 * `NHSMESH mailbox:nonce:count:timestamp:hmac`, where hmac is HMAC-SHA256, keyed with the shared
 * secret, of `mailbox:nonce:count:password:timestamp` (the MESH API's definition). A fresh nonce
 * per request, so a count of 1 each time.
 */
export function meshAuthorization(
  mailbox: Pick<MeshMailbox, 'mailboxId' | 'password' | 'sharedKey'>,
  at = new Date(),
  nonce: string = randomUUID(),
): string {
  const count = '1';
  const timestamp = meshTimestamp(at);
  const hmac = createHmac('sha256', mailbox.sharedKey)
    .update(`${mailbox.mailboxId}:${nonce}:${count}:${mailbox.password}:${timestamp}`)
    .digest('hex');
  return `NHSMESH ${mailbox.mailboxId}:${nonce}:${count}:${timestamp}:${hmac}`;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class MeshClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(readonly mailbox: MeshMailbox) {
    this.base = new URL(mailbox.url);
    // No keep-alive: a socket the server closed while idle would fail the next request (ECONNRESET),
    // and a send is not safe to repeat blindly; MESH sees a few requests a minute at most.
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({
            keepAlive: false,
            cert: mailbox.clientCertPath ? readFileSync(mailbox.clientCertPath) : undefined,
            key: mailbox.clientKeyPath ? readFileSync(mailbox.clientKeyPath) : undefined,
            ca: mailbox.caCertPath ? readFileSync(mailbox.caCertPath) : undefined,
          })
        : new http.Agent({ keepAlive: false });
  }

  close(): void {
    this.agent.destroy();
  }

  private request(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
    const url = new URL(`/messageexchange/${encodeURIComponent(this.mailbox.mailboxId)}${path}`, this.base);
    const send = url.protocol === 'https:' ? https.request : http.request;
    const timeout = this.mailbox.timeoutMs ?? 30_000;
    return new Promise<Answer>((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          agent: this.agent,
          timeout,
          headers: {
            authorization: meshAuthorization(this.mailbox),
            accept: 'application/vnd.mesh.v2+json',
            'mex-clientversion': 'Signpost',
            ...headers,
            ...(body ? { 'content-length': String(body.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`MESH did not answer within ${timeout} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(new MeshError(`MESH could not be reached: ${error.code ?? error.message}`, undefined, true)),
      );
      req.end(body);
    });
  }

  private fail(what: string, answer: Answer): never {
    let detail = answer.body.toString('utf8').slice(0, 300);
    try {
      const parsed = JSON.parse(detail) as { detail?: unknown; errorDescription?: string };
      detail = typeof parsed.detail === 'string' ? parsed.detail : (parsed.errorDescription ?? JSON.stringify(parsed.detail ?? parsed));
    } catch {
      /* not JSON: keep the text */
    }
    // 429 and 5xx may pass; 4xx (a refused address, bad authorisation) will not by itself.
    const retryable = answer.status === 429 || answer.status >= 500;
    throw new MeshError(`MESH refused to ${what} (HTTP ${answer.status}): ${detail}`, answer.status, retryable);
  }

  /** Sends a message; over `chunkBytes` it goes in numbered chunks. Returns MESH's message id. */
  async send(message: MeshSend): Promise<string> {
    const size = this.mailbox.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    const chunks = Math.max(1, Math.ceil(message.body.length / size));
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'mex-from': this.mailbox.mailboxId,
      'mex-to': message.to,
      'mex-workflowid': message.workflowId,
      ...(message.localId ? { 'mex-localid': message.localId } : {}),
      ...(message.subject ? { 'mex-subject': message.subject } : {}),
      ...(message.fileName ? { 'mex-filename': message.fileName } : {}),
      ...(message.contentType ? { 'mex-content-type': message.contentType } : {}),
      ...(chunks > 1 ? { 'mex-chunk-range': `1:${chunks}` } : {}),
    };
    const first = await this.request('POST', '/outbox', headers, message.body.subarray(0, size));
    if (first.status !== 202 && first.status !== 200) this.fail('accept the message', first);
    const messageId = (JSON.parse(first.body.toString('utf8')) as { message_id: string }).message_id;
    for (let n = 2; n <= chunks; n++) {
      const part = await this.request(
        'POST',
        `/outbox/${encodeURIComponent(messageId)}/${n}`,
        { 'content-type': 'application/octet-stream', 'mex-chunk-range': `${n}:${chunks}` },
        message.body.subarray((n - 1) * size, n * size),
      );
      if (part.status !== 202 && part.status !== 200) this.fail(`accept chunk ${n} of ${chunks}`, part);
    }
    return messageId;
  }

  /** The MESH message id of a message we sent with this local id, or undefined when MESH has none. */
  async trackByLocalId(localId: string): Promise<string | undefined> {
    const answer = await this.request('GET', `/outbox/tracking/${encodeURIComponent(localId)}`);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) this.fail('say whether it has the message', answer);
    const found = JSON.parse(answer.body.toString('utf8')) as { message_id?: string; messageId?: string };
    return found.message_id ?? found.messageId;
  }

  /** Message ids waiting in the inbox (up to 500 a call, MESH's own page size). */
  async inbox(): Promise<string[]> {
    const answer = await this.request('GET', '/inbox');
    if (answer.status !== 200) this.fail('list the inbox', answer);
    return (JSON.parse(answer.body.toString('utf8')) as { messages: string[] }).messages;
  }

  /** Downloads a message, joining its chunks. */
  async download(messageId: string): Promise<MeshDownload> {
    const first = await this.request('GET', `/inbox/${encodeURIComponent(messageId)}`);
    if (first.status !== 200 && first.status !== 206) this.fail('give the message', first);
    const parts = [first.body];
    const total = Number(String(first.headers['mex-chunk-range'] ?? '1:1').split(':')[1] ?? 1);
    for (let n = 2; n <= total; n++) {
      const part = await this.request('GET', `/inbox/${encodeURIComponent(messageId)}/${n}`);
      if (part.status !== 200 && part.status !== 206) this.fail(`give chunk ${n} of ${total}`, part);
      parts.push(part.body);
    }
    const header = (name: string) => {
      const value = first.headers[name];
      return Array.isArray(value) ? value[0] : value || undefined;
    };
    return {
      messageId,
      body: Buffer.concat(parts),
      from: header('mex-from'),
      workflowId: header('mex-workflowid'),
      localId: header('mex-localid'),
      messageType: header('mex-messagetype'),
      linkedMessageId: header('mex-linkedmsgid'),
      statusSuccess: header('mex-statussuccess'),
      statusDescription: header('mex-statusdescription'),
    };
  }

  /** Tells MESH the message is safely ours; it leaves the inbox. */
  async acknowledge(messageId: string): Promise<void> {
    const answer = await this.request('PUT', `/inbox/${encodeURIComponent(messageId)}/status/acknowledged`);
    if (answer.status !== 200) this.fail('take the acknowledgement', answer);
  }
}
