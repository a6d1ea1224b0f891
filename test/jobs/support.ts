import {
  registeredHandlers,
  registerJobHandler,
  type Clock,
  type JobHandler,
  type JobHandlerOptions,
  type RegisteredHandler,
} from '../../src/jobs/queue.ts';

/** A clock tests move by hand, so backoff, lock expiry and schedules never need a sleep. */
export class TestClock implements Clock {
  private current: number;
  constructor(start: Date | number = Date.now() + 1000) {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
}

let kinds = 0;

/** Registers a handler under a kind unique to this test and returns the kind and a map for a worker. */
export function aJobKind(handler: JobHandler, options: JobHandlerOptions = {}): { kind: string; handlers: Map<string, RegisteredHandler> } {
  const kind = `test.kind-${process.pid}-${++kinds}`;
  registerJobHandler(kind, handler, options);
  return { kind, handlers: new Map([[kind, registeredHandlers().get(kind)!]]) };
}
