export const ROLES = ['referrer', 'link_worker', 'lead', 'provider', 'commissioner', 'researcher', 'curator', 'admin'] as const;

export type Role = (typeof ROLES)[number];

/** The signed-in person making a request, within one tenant. */
export interface Actor {
  userId: string;
  tenantId: string;
  email: string;
  name: string;
  roles: Role[];
  /** Set for referrers: the GP practice they refer from. */
  practiceId: string | null;
  /** Set for provider users: the community organisation whose inbox they work. */
  providerOrganisationId: string | null;
  sessionId: string;
}

export function hasRole(actor: Actor | undefined, ...roles: Role[]): boolean {
  return !!actor && actor.roles.some((role) => roles.includes(role));
}
