import type { ChildRecord, FinishedChild, FlowStore, StaleParent } from './store.js';
import type { TaskRef } from './task.js';
import type { Flows, FlowTasks } from './flows.js';
import { allChildren } from './flows.js';

/** The error type of a child recorded failed because its flow's submit stopped before storing it. */
export const CHILD_NOT_STORED = 'CHILD_NOT_STORED';

/** Parents a pass over one queue checks at most. */
const PARENTS_PER_PASS = 10;
/** Children looked up at once while checking a parent. */
const LOOKUPS_IN_FLIGHT = 100;

/**
 * Repairs flows whose submit was cut short. Submit stores a flow top down, a level at a time (flows.ts), so a caller
 * that gave up, or a replica that died, midway leaves parents WAITING_CHILDREN for children that were never stored.
 * Maintenance hands this each queue that has a parent waiting past the grace and not yet checked; every parent is
 * checked once (a cursor per queue, commands/staleParents), oldest first, at most PARENTS_PER_PASS per pass. Each
 * child with no outcome that does not exist is recorded FAILED with a CHILD_NOT_STORED error, through the parent's
 * idempotent childFinished step, so its failure policy applies as to any failed child. The recorded end time is the
 * parent's creation time, the same on every replica, so replicas checking at once record it once; and any real finish
 * of that child is later, so submitting the same flow again (which stores only what is missing) repairs the flow:
 * the child runs, its finish replaces the failure, and a parent failed for it waits again or is released.
 */
export class FlowRepair {
  constructor(
    private readonly store: FlowStore,
    private readonly tasks: Pick<FlowTasks, 'get'>,
    private readonly graceMs: number,
    /** Tells a parent that failed here its own parent at once (else maintenance does, after the outbox grace). */
    private readonly outbox?: Pick<Flows, 'tellParents'>,
  ) {}

  /** Checks the oldest unchecked parents of `queue` past the grace; returns how many children it recorded failed. */
  async checkParents(queue: string): Promise<number> {
    let recorded = 0;
    // In order: the cursor passes a parent only once it and every older one were checked.
    for (const parent of await this.store.staleParents(queue, this.graceMs, PARENTS_PER_PASS)) {
      recorded += await this.checkParent(queue, parent);
      await this.store.parentsChecked(queue, parent.sequence);
    }
    return recorded;
  }

  private async checkParent(queue: string, parent: StaleParent): Promise<number> {
    const ref: TaskRef = { queue, id: parent.id };
    const open = (await allChildren(this.store, ref)).filter((child) => child.outcome === undefined);
    const missing: ChildRecord[] = [];
    for (let at = 0; at < open.length; at += LOOKUPS_IN_FLIGHT) {
      const chunk = open.slice(at, at + LOOKUPS_IN_FLIGHT);
      const found = await Promise.all(chunk.map((child) => this.tasks.get(child.queue, child.id)));
      chunk.forEach((child, i) => {
        if (found[i] === undefined) missing.push(child);
      });
    }
    if (missing.length === 0) return 0;
    const told = await this.store.childrenFinished(ref, missing.map((child) => notStored(ref, parent.createTime, child)));
    if (told.parentState === 'FAILED') await this.outbox?.tellParents(queue, [parent.id]);
    return missing.length;
  }
}

function notStored(parent: TaskRef, createTime: number, child: ChildRecord): FinishedChild {
  const message =
    `child "${child.id}" of queue "${child.queue}" was never stored: the submit of its flow (parent "${parent.id}" of ` +
    `queue "${parent.queue}") was cut short; submitting the same flow again stores it`;
  return {
    queue: child.queue,
    id: child.id,
    state: 'FAILED',
    endTime: createTime,
    parent: { ...parent, failurePolicy: child.failurePolicy },
    errors: [{ type: CHILD_NOT_STORED, message, details: '', attempt: 0, time: createTime }],
  };
}
