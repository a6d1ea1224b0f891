import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { wantsJson } from './access.ts';
import { DomainError, InvalidInput, isDatabaseUnreachable } from './errors.ts';

/** What a 503 asks clients to wait, in seconds: database restarts and fail-overs take about this long. */
export const OUTAGE_RETRY_AFTER_SECONDS = 30;
// A quiet spell this long after the last connection error counts as the end of an outage, in case
// the pool never needed a new connection to recover.
const OUTAGE_QUIET_MS = 60_000;

interface Problem {
  status: number;
  title: string;
  messages: { text: string; href?: string }[];
}

const TITLES: Record<number, string> = {
  400: 'There is a problem',
  401: 'You need to sign in',
  403: 'You cannot do that',
  404: 'Page not found',
  405: 'There is a problem',
  409: 'There is a problem',
  413: 'What you sent is too large',
  415: 'There is a problem',
  422: 'There is a problem',
  429: 'Too many attempts',
};

/** Turns any error into something a person (or a client) can act on, without internals. */
function describe(err: FastifyError | DomainError): Problem | undefined {
  if (err instanceof InvalidInput) {
    return { status: 400, title: TITLES[400]!, messages: err.errors.map((e) => ({ text: e.message, href: `#${e.field}` })) };
  }
  if (err instanceof DomainError) {
    return {
      status: err.status,
      title: TITLES[err.status] ?? 'There is a problem',
      messages: [{ text: err.message, href: err.field ? `#${err.field}` : undefined }],
    };
  }
  const fastifyError = err as FastifyError;
  const code = fastifyError.code ?? '';
  const status = fastifyError.statusCode ?? 500;
  if (status >= 500) return undefined;
  if (code.startsWith('FST_CSRF')) {
    return {
      status: 403,
      title: 'This form has expired',
      messages: [
        { text: 'We could not check that this form came from Signpost. Go back, reload the page and try again. Nothing was saved.' },
      ],
    };
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, title: TITLES[413]!, messages: [{ text: 'What you sent is too large. Send less and try again.' }] };
  }
  if (status === 429) {
    return { status, title: TITLES[429]!, messages: [{ text: 'You have tried too many times. Wait a few minutes and try again.' }] };
  }
  // An address whose ids are not ids names no record: the page people expect is "not found".
  if (fastifyError.validation && fastifyError.validationContext === 'params') {
    return { status: 404, title: TITLES[404]!, messages: [{ text: 'Check the address. The page may have moved or been removed.' }] };
  }
  if (fastifyError.validation) {
    const detail = fastifyError.validation
      .map((v) => {
        const where = v.instancePath ? v.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
        return where ? `${where} ${v.message}` : v.message;
      })
      .filter(Boolean)
      .join('; ');
    return {
      status: 400,
      title: TITLES[400]!,
      messages: [{ text: `Check your answers and try again${detail ? ` (${detail})` : ''}.` }],
    };
  }
  if (code.startsWith('FST_ERR_CTP')) {
    return {
      status,
      title: TITLES[status] ?? 'There is a problem',
      messages: [{ text: 'We could not read what you sent. Check its format and try again.' }],
    };
  }
  return { status, title: TITLES[status] ?? 'There is a problem', messages: [{ text: fastifyError.message || 'There is a problem.' }] };
}

export function sendProblem(req: FastifyRequest, reply: FastifyReply, problem: Problem) {
  reply.code(problem.status);
  if (wantsJson(req)) {
    return reply.send({ statusCode: problem.status, error: problem.title, message: problem.messages.map((m) => m.text).join(' ') });
  }
  return reply.view('web/views/problem.njk', { title: problem.title, messages: problem.messages, status: problem.status });
}

/**
 * Notes connection failures so an outage is logged once when it starts and once when it ends,
 * not once per request: the pool making a new connection is the sign that the database is back.
 */
function watchDatabaseOutages(app: FastifyInstance) {
  let outage: { since: number; lastFailure: number; refused: number } | undefined;
  const recovered = () => {
    if (!outage) return;
    app.log.warn({ seconds: Math.round((Date.now() - outage.since) / 1000), refused: outage.refused }, 'database reachable again');
    outage = undefined;
  };
  const pool = app.database.pool;
  pool.on('connect', recovered);
  app.addHook('onClose', async () => {
    pool.off('connect', recovered);
  });
  return (req: FastifyRequest, err: Error & { code?: unknown }) => {
    const now = Date.now();
    if (outage && now - outage.lastFailure > OUTAGE_QUIET_MS) recovered();
    if (!outage) {
      outage = { since: now, lastFailure: now, refused: 0 };
      // The code and driver message only: a connection error carries no query or personal data.
      req.log.error({ code: err.code, reason: err.message }, 'database unreachable: answering 503 until it returns');
    }
    outage.lastFailure = now;
    outage.refused++;
  };
}

export function setUpErrorPages(app: FastifyInstance): void {
  const noteOutage = watchDatabaseOutages(app);

  app.setNotFoundHandler((req, reply) => {
    if (wantsJson(req)) {
      return reply
        .code(404)
        .send({ statusCode: 404, error: 'Not Found', message: `There is nothing at ${req.method} ${req.url.split('?')[0]}.` });
    }
    return reply.code(404).view('web/views/404.njk');
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const problem = describe(err);
    if (problem) {
      if (problem.status >= 400 && problem.status !== 404) req.log.info({ status: problem.status, code: err.code }, 'request refused');
      return sendProblem(req, reply, problem);
    }
    if (isDatabaseUnreachable(err)) {
      noteOutage(req, err);
      reply.code(503).header('retry-after', String(OUTAGE_RETRY_AFTER_SECONDS));
      if (wantsJson(req)) {
        return reply.send({
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'The service cannot reach its database. Try again in a few minutes.',
        });
      }
      return reply.view('web/views/503.njk');
    }
    // The request id is the reference a user quotes; the log holds the detail, the page never does.
    req.log.error({ err }, 'unexpected error');
    reply.code(500);
    if (wantsJson(req)) {
      return reply.send({ statusCode: 500, error: 'Internal Server Error', message: `Something went wrong. Reference: ${req.id}` });
    }
    return reply.view('web/views/500.njk', { reference: req.id });
  });
}
