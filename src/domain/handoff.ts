import type { HandoffOutcome, SubmittedItem, TaskStore } from './store.js';
import type { NewTask } from './task.js';
import type { Handoff, WakeBoard } from './wakeBoard.js';

/** Claimable as soon as it is stored: neither delayed nor scheduled for later. */
function isClaimableNow(task: NewTask): boolean {
  return task.delayMs === 0 && (task.scheduleTime === undefined || task.scheduleTime <= Date.now());
}

/**
 * Stores tasks of one queue, and hands them off where it can: tasks claimable at once go straight to a claim waiting
 * on this replica, if there is one (a handoff: the same leases, a Redis round trip sooner, in the submit's own
 * script). Tasks left pending wake the claims waiting here at once; the script's pub/sub message wakes those on
 * other replicas (and these again, harmlessly).
 */
export async function storeTasks(
  store: TaskStore,
  wakeBoard: WakeBoard,
  queue: string,
  tasks: NewTask[],
  returnTasks: boolean,
): Promise<SubmittedItem[]> {
  const waiting = tasks.some(isClaimableNow) ? wakeBoard.takeWaiting(queue) : undefined;
  const results = waiting
    ? await handOff(store, waiting, queue, tasks, returnTasks)
    : (await store.submit(queue, tasks, returnTasks)).results;
  if (results.some((result) => 'task' in result && result.created && result.task.state === 'PENDING')) wakeBoard.ring(queue);
  return results;
}

/** The handoff: the submit leases what is pending to the reserved claim in the same atomic step, then delivers it. */
async function handOff(
  store: TaskStore,
  waiting: Handoff,
  queue: string,
  tasks: NewTask[],
  returnTasks: boolean,
): Promise<SubmittedItem[]> {
  let outcome: HandoffOutcome | undefined;
  try {
    outcome = await store.submitAndHandOff(queue, tasks, returnTasks, waiting.claim);
  } finally {
    // On failure the waiting claim gets nothing and simply claims again.
    const taken = waiting.deliver(outcome && { tasks: outcome.handedOff, drained: outcome.pendingLeft === 0 });
    // The claim stopped waiting first (a slow master): nobody holds these tokens, so they go back at once.
    if (!taken) {
      for (const { task, leaseToken } of outcome?.handedOff ?? []) store.release(queue, task.id, leaseToken).catch(() => undefined);
    }
  }
  return outcome.results;
}
