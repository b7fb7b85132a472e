import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';

/**
 * The history of a chaos run: every client operation with its outcome, as the client saw it. Times are the local
 * wall clock in ms (`Date.now()`); every process of a run is on this machine, and Redis's TIME (the source of lease
 * expiry times) reads the same clock.
 *
 * An outcome is `ok` (the server answered yes), `refused` (the server answered a definite no: ABORTED, NOT_FOUND,
 * FAILED_PRECONDITION, INVALID_ARGUMENT, ...) or `unknown` (the call failed without saying whether it took effect:
 * UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, a session that ended before answering).
 */
export type Outcome = 'ok' | 'refused' | 'unknown';

export type HistoryEvent =
  /** One item of a SubmitTasks call. `code` is the item's or the call's status when not ok. */
  | { op: 'submit'; t: number; sent: number; queue: string; task: string; outcome: Outcome; code?: number }
  /** A lease a worker received (ClaimTasks reply or WorkTasks push). `expire` is the lease's expiry, Redis time. */
  | { op: 'lease'; t: number; queue: string; task: string; token: string; attempt: number; worker: string; expire: number; via: 'claim' | 'session' }
  /** A completion, release or fail the worker sent under `token`, with the server's answer. */
  | { op: 'complete' | 'release' | 'fail'; t: number; sent: number; queue: string; task: string; token: string; worker: string; outcome: Outcome; code?: number; via: 'unary' | 'batch' | 'session' }
  /** A heartbeat; `expire` is the new expiry when accepted. */
  | { op: 'heartbeat'; t: number; sent: number; queue: string; task: string; token: string; worker: string; outcome: Outcome; code?: number; expire?: number }
  /** Any other call that failed (a claim, a session, a registration), for the error counts. */
  | { op: 'error'; t: number; worker: string; method: string; code: number; message: string }
  /** A note from the harness: a fault injected, healed, load stopped... */
  | { op: 'note'; t: number; what: string };

/** gRPC status codes that answer "no, and nothing changed". */
const REFUSING_CODES = new Set([3, 5, 6, 9, 10]); // INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED

export function outcomeOf(code: number): Outcome {
  if (code === 0) return 'ok';
  return REFUSING_CODES.has(code) ? 'refused' : 'unknown';
}

/** Appends events to a file, one JSON line each, written synchronously: a process killed with -9 loses nothing it recorded. */
export class HistoryFile {
  private readonly fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }
  record(event: HistoryEvent): void {
    writeSync(this.fd, `${JSON.stringify(event)}\n`);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Reads a history file (a last line cut short by a kill is dropped). */
export function readHistory(path: string): HistoryEvent[] {
  if (!existsSync(path)) return [];
  const events: HistoryEvent[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      events.push(JSON.parse(line) as HistoryEvent);
    } catch {
      // a line cut short when the process was killed
    }
  }
  return events;
}
