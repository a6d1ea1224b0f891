import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the GOV.UK Notify API (v2), so `notifications-node-client` runs unchanged
 * against it in tests and demos. It checks the client's JWT, validates recipients like Notify,
 * and reports delivery the way Notify's documented simulator addresses do:
 * perm-fail@simulator.notify / 07700900003 end in permanent-failure, temp-fail@simulator.notify /
 * 07700900002 in temporary-failure; everything else is delivered.
 */

export interface StubNotification {
  id: string;
  type: 'email' | 'sms' | 'letter';
  templateId: string;
  recipient: string | undefined;
  personalisation: Record<string, string>;
  reference: string | undefined;
  status: string;
  createdAt: string;
}

export interface NotifyStub {
  url: string;
  /** An API key in Notify's format (name-serviceId-secret) that this stub accepts. */
  apiKey: string;
  /** Every notification accepted, in order. */
  received: StubNotification[];
  /** Every request, as `METHOD /path?query`, in order. */
  requests: string[];
  /** POSTs answered with this status (and counted down) before any is accepted. */
  failNext(count: number, status?: number): void;
  /** Accepts POSTs but answers none of them until `release()`: a worker can be caught mid-send. */
  hold(): void;
  release(): void;
  /** Resolves when `count` notifications have been received. */
  waitForReceived(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const SIMULATED_STATUS: Record<string, string> = {
  'perm-fail@simulator.notify': 'permanent-failure',
  'temp-fail@simulator.notify': 'temporary-failure',
  '07700900003': 'permanent-failure',
  '07700900002': 'temporary-failure',
};

function base64url(input: Buffer | string) {
  return Buffer.from(input).toString('base64url');
}

function verifyToken(header: string | undefined, serviceId: string, secret: string): string | undefined {
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  if (!token) return 'Unauthorized: authentication token must be provided';
  const [head, body, signature] = token.split('.');
  if (!head || !body || !signature) return 'Invalid token: not a JWT';
  const expected = base64url(createHmac('sha256', secret).update(`${head}.${body}`).digest());
  if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    return 'Invalid token: signature, api token not found';
  }
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as { iss?: string; iat?: number };
  if (claims.iss !== serviceId) return 'Invalid token: service not found';
  if (!claims.iat || Math.abs(Date.now() / 1000 - claims.iat) > 30) return 'Error: Your system clock must be accurate to within 30 seconds';
  return undefined;
}

function recipientError(type: string, body: Record<string, unknown>): string | undefined {
  if (type === 'email') {
    const email = String(body.email_address ?? '');
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) && !email.endsWith('@simulator.notify')) return 'email_address Not a valid email address';
  }
  if (type === 'sms') {
    const digits = String(body.phone_number ?? '')
      .replace(/[\s()-]/g, '')
      .replace(/^\+44/, '0');
    if (!/^07\d{9}$/.test(digits)) return 'phone_number Not a UK mobile number';
  }
  if (type === 'letter') {
    const p = (body.personalisation ?? {}) as Record<string, string>;
    if (!p.address_line_1 || !p.address_line_2) return 'personalisation address_line_1 and address_line_2 are required';
  }
  return undefined;
}

function view(n: StubNotification) {
  return {
    id: n.id,
    reference: n.reference ?? null,
    type: n.type,
    status: n.status,
    email_address: n.type === 'email' ? n.recipient : null,
    phone_number: n.type === 'sms' ? n.recipient : null,
    template: { id: n.templateId, version: 1, uri: `/v2/template/${n.templateId}` },
    body: JSON.stringify(n.personalisation),
    created_at: n.createdAt,
  };
}

export async function startNotifyStub(): Promise<NotifyStub> {
  const serviceId = randomUUID();
  const secret = randomUUID();
  const received: StubNotification[] = [];
  const requests: string[] = [];
  let failures = 0;
  let failureStatus = 500;
  let holding = false;
  const held: Array<() => void> = [];
  const waiters: Array<() => void> = [];

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const problem = (res: ServerResponse, status: number, error: string, message: string) =>
    send(res, status, { status_code: status, errors: [{ error, message }] });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    requests.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const authProblem = verifyToken(req.headers.authorization, serviceId, secret);
    if (authProblem) return problem(res, 403, 'AuthError', authProblem);
    const url = new URL(req.url ?? '/', 'http://stub');

    const post = /^\/v2\/notifications\/(email|sms|letter)$/.exec(url.pathname);
    if (req.method === 'POST' && post) {
      if (failures > 0) {
        failures--;
        return problem(res, failureStatus, failureStatus === 429 ? 'RateLimitError' : 'Exception', 'Internal server error');
      }
      const type = post[1] as StubNotification['type'];
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
      if (!/^[0-9a-f-]{36}$/.test(String(body.template_id ?? '')))
        return problem(res, 400, 'ValidationError', 'template_id is not a valid UUID');
      const invalid = recipientError(type, body);
      if (invalid) return problem(res, 400, 'ValidationError', invalid);
      const recipient = type === 'email' ? String(body.email_address) : type === 'sms' ? String(body.phone_number) : undefined;
      const notification: StubNotification = {
        id: randomUUID(),
        type,
        templateId: String(body.template_id),
        recipient,
        personalisation: (body.personalisation ?? {}) as Record<string, string>,
        reference: body.reference as string | undefined,
        status: SIMULATED_STATUS[(recipient ?? '').replace(/\s/g, '')] ?? 'delivered',
        createdAt: new Date().toISOString(),
      };
      received.push(notification);
      for (const wake of waiters.splice(0)) wake();
      if (holding) await new Promise<void>((resolve) => held.push(resolve));
      return send(res, 201, {
        id: notification.id,
        reference: notification.reference ?? null,
        content: { body: JSON.stringify(notification.personalisation), subject: 'Signpost' },
        uri: `${stub.url}/v2/notifications/${notification.id}`,
        template: { id: notification.templateId, version: 1, uri: `/v2/template/${notification.templateId}` },
      });
    }
    const one = /^\/v2\/notifications\/([0-9a-f-]{36})$/.exec(url.pathname);
    if (req.method === 'GET' && one) {
      const found = received.find((n) => n.id === one[1]);
      return found ? send(res, 200, view(found)) : problem(res, 404, 'NoResultFound', 'No result found');
    }
    if (req.method === 'GET' && url.pathname === '/v2/notifications') {
      const reference = url.searchParams.get('reference');
      const type = url.searchParams.get('template_type');
      const list = received.filter((n) => (!reference || n.reference === reference) && (!type || n.type === type)).reverse();
      return send(res, 200, { notifications: list.map(view), links: { current: `${stub.url}/v2/notifications` } });
    }
    return problem(res, 404, 'NotFound', 'Not found');
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => problem(res, 500, 'Exception', error.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const stub: NotifyStub = {
    url: `http://127.0.0.1:${port}`,
    apiKey: `signpost_test-${serviceId}-${secret}`,
    received,
    requests,
    failNext(count, status = 500) {
      failures = count;
      failureStatus = status;
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const resolve of held.splice(0)) resolve();
    },
    async waitForReceived(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`Notify stub received ${received.length} of ${count} notifications in time`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    async close() {
      stub.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return stub;
}

// `node --import tsx test/support/notify-stub.ts`: a stub for trying notifications by hand.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const stub = await startNotifyStub();
  console.log(`Notify-compatible endpoint at ${stub.url}\nNOTIFY_BASE_URL=${stub.url} NOTIFY_API_KEY=${stub.apiKey}`);
}
