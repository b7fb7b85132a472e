/**
 * The label value that stands for every queue past the cap. It can never be a queue's name: those start with a
 * letter or a digit.
 */
export const OTHER_QUEUES = '_other';

/**
 * Bounds the `queue` label: a queue gets its own label value only once it is known (it has tasks, or the
 * cluster's queue list names it), and only the first `max` queues do. Events of queues past the cap are counted
 * under OTHER_QUEUES, so totals stay right; their gauges are not exported.
 */
export class QueueLabels {
  private readonly admitted = new Set<string>();
  private overflowing = false;

  constructor(
    private readonly max: number,
    /** Called once per label value when it first appears, to start its counters at 0. */
    private readonly onNewLabel: (label: string) => void,
    /** Called once, when the first queue past the cap is seen. */
    private readonly onOverflow: (queue: string) => void,
  ) {}

  /** The label value for a known queue, admitting it while there is room. */
  label(queue: string): string {
    if (this.admitted.has(queue)) return queue;
    if (this.admitted.size < this.max) {
      this.admitted.add(queue);
      this.onNewLabel(queue);
      return queue;
    }
    if (!this.overflowing) {
      this.overflowing = true;
      this.onNewLabel(OTHER_QUEUES);
      this.onOverflow(queue);
    }
    return OTHER_QUEUES;
  }

  /** Admits queues from the cluster's list in name order, so replicas that see the same list admit the same ones. */
  admitAll(queues: readonly string[]): void {
    const fresh = queues.filter((queue) => !this.admitted.has(queue)).sort();
    for (const queue of fresh) this.label(queue);
  }

  /** Whether the queue has a label value of its own. */
  has(queue: string): boolean {
    return this.admitted.has(queue);
  }
}
