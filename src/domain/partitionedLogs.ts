import type { PartitionedTaskStore } from './partitionedTasks.js';
import type { LogBounds, LogSpan, LogStore, StoredLogEntry, TaskLogPage } from './taskLogs.js';

/** Task logs live beside their task: each call goes to the task's partition (see partitions.ts). */
export class PartitionedLogStore implements LogStore {
  constructor(
    private readonly store: LogStore,
    private readonly tasks: Pick<PartitionedTaskStore, 'onTask'>,
  ) {}

  append(queue: string, id: string, leaseToken: string, lines: readonly StoredLogEntry[], bounds: LogBounds): Promise<LogSpan> {
    return this.tasks.onTask(queue, id, (address) => this.store.append(address, id, leaseToken, lines, bounds));
  }

  read(queue: string, id: string, after: number, limit: number): Promise<TaskLogPage | undefined> {
    return this.tasks.onTask(queue, id, (address) => this.store.read(address, id, after, limit));
  }

  subscribeToAppends(onAppend: (queue: string, id: string) => void): Promise<() => Promise<void>> {
    return this.store.subscribeToAppends(onAppend);
  }
}
