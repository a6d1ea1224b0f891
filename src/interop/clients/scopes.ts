/**
 * SMART on FHIR system scopes (v1 syntax): `system/<Resource>.<read|write|*>`, with `*` for
 * every resource. A client is registered with the scopes it may ask for; a token carries the
 * scopes it was granted; a route names the one it needs.
 */
export const SCOPE_RESOURCES = [
  'Patient',
  'ServiceRequest',
  'Task',
  'DocumentReference',
  'HealthcareService',
  'Location',
  'Questionnaire',
  'QuestionnaireResponse',
] as const;

export type ScopeAccess = 'read' | 'write';

const SCOPE = /^system\/([A-Za-z]+|\*)\.(read|write|\*)$/;

export function isKnownScope(scope: string): boolean {
  const match = SCOPE.exec(scope);
  return !!match && (match[1] === '*' || (SCOPE_RESOURCES as readonly string[]).includes(match[1]!));
}

/** Whether `held` (a client's or a token's scopes) covers `wanted` (one scope). */
export function covers(held: readonly string[], wanted: string): boolean {
  const match = SCOPE.exec(wanted);
  if (!match) return false;
  const [, resource, access] = match;
  return held.some((scope) => {
    const h = SCOPE.exec(scope);
    if (!h) return false;
    return (h[1] === '*' || h[1] === resource) && (h[2] === '*' || h[2] === access);
  });
}

export function scopeFor(resource: string, access: ScopeAccess): string {
  return `system/${resource}.${access}`;
}

/** Space-separated scopes as a list without repeats. */
export function parseScopes(text: string): string[] {
  return [...new Set(text.split(/\s+/).filter(Boolean))];
}
