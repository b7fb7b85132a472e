/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The server refused or could not be reached; the message names the gRPC status. */
  serverError: 1,
  usage: 2,
  /** wait and run: the timeout passed before the task finished. */
  timedOut: 3,
  /** Ended by SIGINT (Ctrl-C): 128 + its number, what shells report for a command a signal ended. */
  interrupted: 130,
  /** Ended by SIGTERM: 128 + its number. */
  terminated: 143,
} as const;
