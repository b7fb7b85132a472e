import type { Lifecycle } from '../../domain/lifecycle.js';
import type { ClaimedTask } from '../../domain/task.js';
import type { Logger } from '../../log.js';

/**
 * Gives back at once tasks claimed for a caller that is gone (a cancelled ClaimTasks, a session that ended while
 * its claim ran), rather than leave them leased to nobody until their lease runs out. Like ReleaseTask, this uses
 * up no attempt.
 */
export async function giveBack(lifecycle: Lifecycle, claimed: readonly ClaimedTask[], log: Logger): Promise<void> {
  await Promise.all(
    claimed.map(async ({ task, leaseToken }) => {
      try {
        await lifecycle.release(task.queue, task.id, leaseToken);
      } catch (error) {
        // Its lease brings it back instead.
        log.warn('could not give back a task claimed for a caller that is gone', { task: task.id, error: String(error) });
      }
    }),
  );
}
