import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { withTenant } from '../db/transaction.ts';
import { DomainError, RuleBroken } from './errors.ts';
import { field, postedValue } from './forms.ts';
import * as q from './queries.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route creates a record: its form carries a one-time token (`formToken`), and a repeat
     * post of the same form is sent to what the first one made. Public routes give the tenant.
     */
    oncePerForm?: true | ((req: FastifyRequest) => Promise<string>);
  }
  interface FastifyRequest {
    formClaim?: { tenantId: string; tokenHash: string };
  }
}

export const FORM_TOKEN_FIELD = 'formToken';
const FORM_TOKEN = /^[A-Za-z0-9_-]{22,64}$/;

/** How long a repeat waits for the first post of the same form to finish, before saying so. */
const WAIT_FOR_FIRST_MS = 5000;
const POLL_MS = 100;

/**
 * The token a page's forms carry, minted when a template first prints it. A page re-shown with
 * errors keeps the token that was posted, so the corrected form is still the same form.
 */
export function formTokenFor(req: FastifyRequest): { toString(): string } {
  let token: string | undefined;
  return {
    toString: () => {
      if (token) return token;
      const posted = postedValue(req.body, FORM_TOKEN_FIELD);
      token = typeof posted === 'string' && FORM_TOKEN.test(posted) ? posted : randomBytes(18).toString('base64url');
      return token;
    },
  };
}

/** The token is bound to the caller and the address, so one page's token serves each of its forms once. */
function tokenHash(req: FastifyRequest, tenantId: string, token: string): string {
  const path = req.url.split('?')[0];
  return createHash('sha256')
    .update(`${tenantId}|${req.actor?.userId ?? 'public'}|${req.method}|${path}|${token}`)
    .digest('hex');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function setUpOncePerForm(app: FastifyInstance): void {
  const pool = app.database.pool;

  async function claim(req: FastifyRequest, reply: FastifyReply) {
    const once = req.routeOptions.config.oncePerForm;
    if (!once) return;
    const token = field(req.body, FORM_TOKEN_FIELD, { max: 64, label: 'Form token' });
    if (!FORM_TOKEN.test(token)) {
      throw new DomainError(400, 'This form is out of date. Go back, reload the page and try again. Nothing was saved.', FORM_TOKEN_FIELD);
    }
    const tenantId = req.actor?.tenantId ?? (typeof once === 'function' ? await once(req) : undefined);
    if (!tenantId) return;
    const hash = tokenHash(req, tenantId, token);
    if (await withTenant(pool, tenantId, (tx) => q.claimFormSubmission(tx, tenantId, hash))) {
      req.formClaim = { tenantId, tokenHash: hash };
      return;
    }
    // The same form again: show what the first post made, once it has finished.
    for (let waited = 0; ; waited += POLL_MS) {
      const result = await withTenant(pool, tenantId, (tx) => q.formSubmissionResult(tx, tenantId, hash));
      if (result) return reply.redirect(result, 303);
      if (waited >= WAIT_FOR_FIRST_MS) break;
      await sleep(POLL_MS);
    }
    throw new RuleBroken('This form was already sent. Check whether it was saved before you send it again.');
  }

  app.addHook('onRoute', (route) => {
    if (!route.config?.oncePerForm) return;
    // After the access policy (an app-wide preHandler), so only a caller who may post claims a token.
    const existing = route.preHandler ? [route.preHandler].flat() : [];
    route.preHandler = [...existing, claim];
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const claimed = req.formClaim;
    if (!claimed) return payload;
    req.formClaim = undefined;
    const location = reply.getHeader('location');
    if (reply.statusCode >= 300 && reply.statusCode < 400 && typeof location === 'string') {
      await withTenant(pool, claimed.tenantId, (tx) => q.recordFormSubmissionResult(tx, claimed.tenantId, claimed.tokenHash, location));
    } else if (reply.statusCode >= 400) {
      await withTenant(pool, claimed.tenantId, (tx) => q.releaseFormSubmission(tx, claimed.tenantId, claimed.tokenHash));
    }
    return payload;
  });
}
