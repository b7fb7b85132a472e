import type { QueueStore } from './store.js';
import type { TaskEvent } from './task.js';
import * as check from './validation.js';

const PAGE = 500;

export interface RecentEvents {
  events: TaskEvent[];
  /** The scan stopped at `maxScanned` before reaching the end of the stream: there may be more. */
  truncated: boolean;
}

/**
 * Reading back what a queue's update stream still retains, from a point in time: the dashboard's throughput
 * chart and a task's timeline. Stream positions start with the Redis time of the event, so "since t" is a range
 * read from `t-0`, and the cost is bounded by `maxScanned` however busy the queue is.
 */
export class EventHistory {
  constructor(private readonly store: QueueStore) {}

  async since(
    queue: string,
    fromMs: number,
    maxScanned: number,
    keep: (event: TaskEvent) => boolean = () => true,
  ): Promise<RecentEvents> {
    check.checkQueue(queue);
    let position = `${Math.max(0, Math.floor(fromMs))}-0`;
    const events: TaskEvent[] = [];
    let scanned = 0;
    while (scanned < maxScanned) {
      const asked = Math.min(PAGE, maxScanned - scanned);
      const page = await this.store.readEvents(queue, position, asked);
      scanned += page.length;
      for (const event of page) if (keep(event)) events.push(event);
      const last = page.at(-1);
      if (last === undefined || page.length < asked) return { events, truncated: false };
      position = last.position;
    }
    return { events, truncated: true };
  }
}
