import assert from 'node:assert/strict';
import type { BatonClient } from '../../clients/typescript/src/client.js';
import type { FlowNode, Task } from '../../clients/typescript/src/contract.js';
import type { Input } from '../../clients/typescript/src/client.js';
import { uniqueQueue } from './baton.js';

/** The cluster slot of a key: CRC16 (XMODEM) of its hash tag, mod 16384, as Redis computes it. */
function slotOf(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** A fresh queue whose slot the `master`-th of `masters` masters holds (tools/redis/cluster.ts splits slots evenly). */
export function queueOnMaster(label: string, master: number, masters = 3): string {
  const perMaster = Math.ceil(16384 / masters);
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const queue = uniqueQueue(`${label}${master}`);
    if (Math.floor(slotOf(`q:${queue}:0`) / perMaster) === master) return queue;
  }
  throw new Error(`no queue name found on master ${master}`);
}

/** A flow node: a task of `queue` named `id`, with children. */
export function node(queue: string, id: string, children: Input<typeof FlowNode>[] = [], extra: Partial<Input<typeof FlowNode>> = {}): Input<typeof FlowNode> {
  return { task: { queue, task_id: id, payload: Buffer.from(id) }, children, ...extra };
}

/** Claims everything claimable in `queue` (up to `max`), and completes each with "<id>:done". Returns the ids. */
export async function completeAll(client: BatonClient, queue: string, max = 100): Promise<string[]> {
  const done: string[] = [];
  for (;;) {
    const { tasks } = await client.claimTasks({ queues: [queue], worker_id: 'flow-worker', max_tasks: 100 });
    if (tasks.length === 0) return done;
    const { results } = await client.completeTasks({
      requests: tasks.map((claimed) => ({
        queue,
        task_id: claimed.task?.id ?? '',
        lease_token: claimed.lease_token,
        result: `${claimed.task?.id ?? ''}:done`,
      })),
    });
    assert.ok(results.every((result) => !result.error), 'every completion succeeds');
    done.push(...tasks.map((claimed) => claimed.task?.id ?? ''));
    if (done.length >= max) return done;
  }
}

export async function stateOf(client: BatonClient, queue: string, id: string): Promise<Task['state']> {
  const { task } = await client.getTask({ queue, task_id: id });
  assert.ok(task);
  return task.state;
}
