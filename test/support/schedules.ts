import assert from 'node:assert/strict';
import type { BatonClient, Input } from '../../clients/typescript/src/client.js';
import type { CreateScheduleRequest, Task } from '../../clients/typescript/src/contract.js';
import { duration, toMs } from './api.js';

/** A schedule of `queue` ticking every second, ALLOW and ALL unless `request` says otherwise. */
export async function everySecond(
  client: BatonClient,
  queue: string,
  id: string,
  request: Input<typeof CreateScheduleRequest> = {},
): Promise<void> {
  await client.createSchedule({
    schedule_id: id,
    interval: duration(1000),
    task: { queue, type: 'tick' },
    overlap_policy: 'OVERLAP_POLICY_ALLOW',
    catch_up_policy: 'CATCH_UP_POLICY_ALL',
    ...request,
  });
}

export interface TickTask {
  task: Task;
  /** The tick, read from the task id "<schedule>@<time>". */
  tick: number;
  created: number;
}

/** The tick tasks of schedule `id` in `queue`, by tick (manual runs left out). */
export async function tickTasks(client: BatonClient, queue: string, id: string): Promise<TickTask[]> {
  const { tasks } = await client.listTasks({ queue, page_size: 1000 });
  return tasks
    .filter((task) => task.id.startsWith(`${id}@`) && !task.id.startsWith(`${id}@manual-`))
    .map((task) => ({ task, tick: Date.parse(task.id.slice(id.length + 1)), created: toMs(task.create_time) }))
    .sort((a, b) => a.tick - b.tick);
}

/** Ticks one second apart, none missing, none twice. */
export function assertConsecutive(ticks: readonly number[], stepMs = 1000): void {
  for (let i = 1; i < ticks.length; i++) {
    assert.equal((ticks[i] ?? 0) - (ticks[i - 1] ?? 0), stepMs, `ticks ${i - 1} and ${i}: ${ticks.map((t) => new Date(t).toISOString()).join(', ')}`);
  }
}
