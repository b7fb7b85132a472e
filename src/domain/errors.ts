/**
 * Errors the domain reports to callers. Each carries a code that the transport maps to its own status; the message
 * is for people and names the field, the limit or the state involved.
 */
export type BatonErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'ABORTED'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'OUT_OF_RANGE'
  | 'CANCELLED'
  | 'DEADLINE_EXCEEDED';

export class BatonError extends Error {
  override readonly name = 'BatonError';

  constructor(
    readonly code: BatonErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The caller's lease had run out: the call found it so, released the task, and refused (ABORTED). */
export class LeaseExpiredError extends BatonError {
  constructor(
    message: string,
    /** The state the task was moved to: PENDING, EXHAUSTED or CANCELLED. */
    readonly taskState: string,
  ) {
    super('ABORTED', message);
  }
}

/**
 * A dependency could not do what was asked, for a reason worth counting apart (a bounded word: `timeout`,
 * `connection`, `noreplicas`, `replica_ack_timeout`, ...). The message names the cause for people.
 */
export class UnavailableError extends BatonError {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super('UNAVAILABLE', message);
  }
}

export const invalidArgument = (field: string, problem: string): BatonError =>
  new BatonError('INVALID_ARGUMENT', `${field}: ${problem}`);

export const taskNotFound = (queue: string, id: string): BatonError =>
  new BatonError('NOT_FOUND', `task "${id}" not found in queue "${queue}"`);
