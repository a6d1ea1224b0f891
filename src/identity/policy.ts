import type { FastifyRequest } from 'fastify';
import { hasRole, type Actor, type Role } from './actor.ts';

/**
 * Who may call a route. Every route declares one in `config.policy`; the web layer refuses to
 * register a route without it and checks it before the handler runs.
 */
export type Policy =
  | { kind: 'public'; name: string }
  | { kind: 'signed-in'; name: string; roles: readonly Role[] | 'any'; check?: (actor: Actor, req: FastifyRequest) => boolean };

export const publicAccess: Policy = { kind: 'public', name: 'public' };

export const anySignedIn: Policy = { kind: 'signed-in', name: 'signed in', roles: 'any' };

export function rolePolicy(name: string, ...roles: Role[]): Policy {
  return { kind: 'signed-in', name, roles };
}

export type PolicyDecision = 'allow' | 'sign-in' | 'forbidden';

export function decide(policy: Policy, actor: Actor | undefined, req: FastifyRequest): PolicyDecision {
  if (policy.kind === 'public') return 'allow';
  if (!actor) return 'sign-in';
  if (policy.roles !== 'any' && !hasRole(actor, ...policy.roles)) return 'forbidden';
  if (policy.check && !policy.check(actor, req)) return 'forbidden';
  return 'allow';
}
