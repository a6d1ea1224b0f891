import type { FastifyRequest } from 'fastify';
import { covers } from '../interop/clients/scopes.ts';
import { hasRole, type Actor, type Role } from './actor.ts';

/**
 * Who may call a route. Every route declares one in `config.policy`; the web layer refuses to
 * register a route without it and checks it before the handler runs.
 */
export type Policy =
  | { kind: 'public'; name: string }
  | { kind: 'signed-in'; name: string; roles: readonly Role[] | 'any'; check?: (actor: Actor, req: FastifyRequest) => boolean }
  /** A system with a bearer token (SMART backend services) whose scopes cover `scope`. */
  | { kind: 'api-client'; name: string; scope: string };

export const publicAccess: Policy = { kind: 'public', name: 'public' };

export const anySignedIn: Policy = { kind: 'signed-in', name: 'signed in', roles: 'any' };

export function rolePolicy(name: string, ...roles: Role[]): Policy {
  return { kind: 'signed-in', name, roles };
}

export function apiScopePolicy(scope: string): Policy {
  return { kind: 'api-client', name: scope, scope };
}

export type PolicyDecision = 'allow' | 'sign-in' | 'forbidden';

export function decide(policy: Policy, actor: Actor | undefined, req: FastifyRequest): PolicyDecision {
  if (policy.kind === 'public') return 'allow';
  if (policy.kind === 'api-client') {
    if (!req.apiClient) return 'sign-in';
    return covers(req.apiClient.scopes, policy.scope) ? 'allow' : 'forbidden';
  }
  if (!actor) return 'sign-in';
  if (policy.roles !== 'any' && !hasRole(actor, ...policy.roles)) return 'forbidden';
  if (policy.check && !policy.check(actor, req)) return 'forbidden';
  return 'allow';
}
