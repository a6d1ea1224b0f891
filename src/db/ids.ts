// Record ids are UUIDs. Routes check the ids in their addresses by schema (web/schemas.ts); this is
// the one check for ids that arrive another way (a form's choice, a FHIR search, a setting), so a
// malformed one is refused in words rather than by PostgreSQL.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
