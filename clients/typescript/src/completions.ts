import type { CompleteTaskRequest, CompleteTasksResult, Task as Task } from './contract.js';
import type { BatonClient } from './client.js';
import { statusError } from './errors.js';
import type { TaskSession } from './session.js';

/** What the server said about one completion: the task afterwards, or this item's own error. */
export type Completion = { task: Task } | { error: unknown };

/** Where completions go now: the open session, unless the server's copy of each task is wanted. */
export interface CompletionRoute {
  session: TaskSession | undefined;
  /** Only CompleteTasks returns the server's copy of each task (and it costs the server more). */
  returnTasks: boolean;
}

interface PendingCompletion {
  task: Task;
  request: CompleteTaskRequest & { result: Buffer };
  settle: (completion: Completion) => void;
}

/** CompleteTasks and a session message take at most this many items... */
const MAX_BATCH = 1000;
/** ...and carry at most about this many result bytes, well under the servers' message size limit. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Completes each task together with every other task that finished in the same event-loop turn: one message on the
 * session (or one CompleteTasks call) instead of one each.
 */
export class CompletionBatcher {
  private pending: PendingCompletion[] = [];
  private scheduled = false;

  constructor(
    private readonly client: BatonClient,
    private readonly route: () => CompletionRoute,
  ) {}

  /**
   * Resolves with this task's own result: the server's copy afterwards, or the error the server gave this item (or
   * the whole batch), for the caller to handle as for a single completion. Never rejects.
   */
  complete(task: Task, leaseToken: string, result: Buffer): Promise<Completion> {
    return new Promise((settle) => {
      this.pending.push({ task, request: { queue: task.queue, task_id: task.id, lease_token: leaseToken, result }, settle });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.flush();
      });
    });
  }

  private flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = [];
    let batch: PendingCompletion[] = [];
    let bytes = 0;
    for (const item of pending) {
      const size = item.request.result.length;
      if (batch.length === MAX_BATCH || (batch.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
        void this.send(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(item);
      bytes += size;
    }
    if (batch.length > 0) void this.send(batch);
  }

  private async send(batch: PendingCompletion[]): Promise<void> {
    const { session, returnTasks } = this.route();
    const requests = batch.map((item) => item.request);
    try {
      // The caller retries each item that failed for a transient reason, in a later batch.
      const results: CompleteTasksResult[] =
        session?.isOpen && !returnTasks
          ? await session.complete(requests)
          : (await this.client.completeTasks({ requests, return_tasks: returnTasks }, { retry: false })).results;
      batch.forEach(({ task, request, settle }, i) => {
        const item = results[i];
        if (!item) {
          settle({ error: new Error(`the server answered ${results.length} of ${batch.length} completions`) });
        } else if (item.error) {
          // As the error a unary call would have thrown, so it is handled the same way.
          settle({ error: statusError(item.error.code, item.error.message) });
        } else {
          // The server's copy leaves out payload and result (they are what we hold); without it, ours updated.
          settle({
            task: item.task
              ? { ...item.task, payload: task.payload, result: request.result }
              : { ...task, state: item.state, result: request.result },
          });
        }
      });
    } catch (error) {
      for (const { settle } of batch) settle({ error });
    }
  }
}
