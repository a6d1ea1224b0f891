import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * An anonymous GET of this page may be kept by browsers and shared caches for a minute
     * (public directory pages): the same answer for everyone who is not signed in.
     */
    publicCache?: boolean;
  }
}

/** How long a public page may be reused without asking again, in seconds. */
export const PUBLIC_MAX_AGE = 60;

/**
 * The NHS.UK template's one inline script (it marks the body as JavaScript-enabled). Cacheable
 * pages carry no per-response nonce (a page kept by a cache would hold a stale one), so the
 * script is allowed by its hash instead, read from the template so an upgrade keeps them in step.
 */
export function templateBootScriptHash(templatePath: string): string | undefined {
  const inline = /<script[^>]*>([^<]+)<\/script>/.exec(readFileSync(templatePath, 'utf8'))?.[1];
  return inline ? `'sha256-${createHash('sha256').update(inline).digest('base64')}'` : undefined;
}

/** Whether this response may be cached publicly: an anonymous GET/HEAD of a route that opts in. */
export function isPublicCacheable(req: FastifyRequest): boolean {
  return !!req.routeOptions.config?.publicCache && (req.method === 'GET' || req.method === 'HEAD') && !req.actor && !req.pendingSession;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  // Weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored.
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare);
}

/**
 * Public directory pages: `Cache-Control: public, max-age=60`, an ETag of the body, and a 304
 * when the browser already has that body. Signed-in responses are marked no-store elsewhere
 * (setUpSecurity) and never reach this.
 */
export function setUpPublicCaching(app: FastifyInstance): void {
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode !== 200 || !isPublicCacheable(req) || typeof payload !== 'string') return payload;
    const etag = `W/"${createHash('sha1').update(payload).digest('base64url')}"`;
    reply.header('cache-control', `public, max-age=${PUBLIC_MAX_AGE}`);
    // A signed-in person behind the same cache must get their own page, not the anonymous one.
    reply.header('vary', 'Cookie');
    reply.header('etag', etag);
    if (etagMatches(req.headers['if-none-match'], etag)) {
      reply.code(304);
      reply.removeHeader('content-length');
      return '';
    }
    return payload;
  });
}
