/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The server refused or could not be reached; the message names the gRPC status. */
  serverError: 1,
  usage: 2,
  /** wait and run: the timeout passed before the task finished. */
  timedOut: 3,
} as const;
