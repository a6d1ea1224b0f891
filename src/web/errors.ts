/**
 * A refusal a person can act on. Services throw these; the web layer turns them into a 4xx
 * page with the NHS error summary, or a JSON problem on APIs.
 */
export class DomainError extends Error {
  constructor(readonly status: 400 | 403 | 404 | 409 | 413 | 422 | 429, message: string, readonly field?: string) {
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
