/**
 * A refusal a person can act on. Services throw these; the web layer turns them into a 4xx
 * page with the NHS error summary, or a JSON problem on APIs.
 */
export class DomainError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 413 | 422 | 429,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Also used for another tenant's record: never confirm that it exists. */
export class NotFound extends DomainError {
  constructor(what: string) {
    super(404, `We could not find that ${what}.`);
  }
}

export class Forbidden extends DomainError {
  constructor(message = 'You do not have permission to do that.') {
    super(403, message);
  }
}

/** The request was well formed but breaks a rule of the domain (an illegal transition, say). */
export class RuleBroken extends DomainError {
  constructor(message: string, field?: string) {
    super(409, message, field);
  }
}

/** One field's problem, for a form's error summary. */
export interface FieldError {
  field: string;
  message: string;
}

export class InvalidInput extends DomainError {
  constructor(readonly errors: FieldError[]) {
    super(400, errors.map((e) => e.message).join(' '), errors[0]?.field);
  }
}

// Node socket errors on the way to the database server.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
// SQLSTATE: 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now; class 08 is
// connection exceptions.
const SERVER_CODES = new Set(['57P01', '57P02', '57P03']);
// node-postgres and pg-pool raise these as plain Errors with no code.
const DRIVER_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

/** Whether an error (or an error it wraps) means the database server could not be reached. */
export function isDatabaseUnreachable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (code === undefined && DRIVER_MESSAGES.some((m) => current instanceof Error && current.message.startsWith(m))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
