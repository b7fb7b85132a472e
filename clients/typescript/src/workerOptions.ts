import type { BatonClient } from './client.js';
import type { ConnectionOptions } from './connection.js';
import type { LeaseLostError } from './errors.js';
import type { Handler, Task } from './handler.js';
import type { Handlers } from './routing.js';

export interface WorkerOptions {
  /** A client to use (it stays open when the worker closes). Give this or `address`. */
  client?: BatonClient;
  /**
   * host:port of a Baton server, or several replicas' (an array or a comma-separated string); the worker opens and
   * closes its own client, and when its session with one server is lost it moves on to the next.
   */
  address?: string | readonly string[];
  /** For the worker's own client: a bearer token and TLS settings (default from BATON_TOKEN and BATON_TLS*). */
  connection?: ConnectionOptions;
  /** Queues to claim from, tried in order. */
  queues: string | readonly string[];
  /**
   * Runs the tasks that `handlers` has no handler for (untyped tasks among them). Give this, `handlers`, or both.
   */
  handler?: Handler;
  /**
   * Handlers by task type: a task goes to the one registered for its type, else to `handler`; a task whose type has
   * neither fails permanently, with a message naming its type (NoHandlerError).
   */
  handlers?: Handlers;
  /** Handlers running at once. Default 1. */
  concurrency?: number;
  /**
   * Tasks held beyond those running, so the next one is at hand when a handler finishes rather than a round trip
   * away; their leases are kept alive while they wait, and close() gives them back at once. (A task whose handler
   * has returned no longer counts: the next is asked for while its outcome is on its way.) Default: as many as
   * `concurrency`. 0 holds only what runs (best when handlers are slow and other workers should get the tasks).
   */
  prefetch?: number;
  /** Lease length in ms (1 s to 24 h); heartbeats renew it. Default 30 s. */
  leaseDuration?: number;
  /** Heartbeat period in ms; at most (and by default) a third of the lease. */
  heartbeatInterval?: number;
  /**
   * How long a `ctx.log` line may wait to be sent with the lines after it, in ms (big batches go at once, and a
   * task's lines are sent before its outcome). Default 500.
   */
  logFlushInterval?: number;
  /** Shown in leases and operator views. Default `<hostname>-<pid>-<random>`. */
  workerId?: string;
  /** How long `close()` lets running handlers finish before giving their tasks back, in ms. Default 10 s. */
  shutdownTimeout?: number;
  /**
   * The worker announces itself (RegisterWorker: hostname, pid, SDK) at start and again every this many ms while it
   * holds no task, so operator views keep an idle worker alive. Keep it under a third of the server's lost-worker
   * window (default 30 s). Default 10 s; 0 never registers.
   */
  registerInterval?: number;
}

export interface WorkerEvents {
  /** A handler started on a claimed task. */
  active: [task: Task];
  /** The task was completed; `task` is the server's copy after completion. */
  completed: [task: Task, result: Buffer];
  /** The handler threw; `task` is the server's copy after the failure (SCHEDULED, FAILED, EXHAUSTED or CANCELLED). */
  failed: [task: Task, error: unknown];
  /** The lease was lost; whatever the handler does now is discarded. */
  lost: [task: Task, error: LeaseLostError];
  /** Shutdown gave the task back for another worker. */
  released: [task: Task];
  /** Something went wrong outside a handler (a claim, heartbeat or log append failed, the server is unreachable...). */
  error: [error: unknown];
}
