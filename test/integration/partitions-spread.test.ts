/**
 * A hot queue of 6 partitions on 3 masters spreads its Redis work evenly: the scripts each master runs, and the CPU
 * each spends, are within 1.3x of each other over the whole life of 3,600 tasks (submitted in batches, claimed,
 * completed). Maintenance is kept quiet (its due index lives on one master); no timing is asserted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniqueQueue, useTestServer } from '../support/baton.js';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { RedisNode } from '../../tools/redis/cluster.js';

const TASKS = 3_600;
const BATCH = 20;

/** Scripts run (EVALSHA and EVAL calls) and CPU seconds spent (system and user) by a Redis node so far. */
async function work(node: RedisNode): Promise<{ scripts: number; cpu: number }> {
  const stats = await node.client.info('commandstats');
  let scripts = 0;
  for (const match of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) scripts += Number(match[1]);
  const cpu = await node.client.info('cpu');
  const seconds = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { scripts, cpu: seconds('used_cpu_sys') + seconds('used_cpu_user') };
}

describe('a hot partitioned queue on 3 masters', () => {
  const setup = useTestServer(() => startRedisCluster(3), {}, { maintenanceTickMs: 3_600_000 });
  const client = () => setup.client;

  it('spreads its scripts and its Redis CPU evenly over the masters (within 1.3x)', async () => {
    const queue = uniqueQueue('hot');
    await client().updateQueue({ queue, settings: { partitions: 6 } });
    const before = await Promise.all(setup.redis.masters.map(work));
    for (let i = 0; i < TASKS; i += BATCH) {
      await client().submitTasks({ requests: Array.from({ length: BATCH }, () => ({ queue, payload: Buffer.from('x'.repeat(100)) })) });
    }
    let done = 0;
    while (done < TASKS) {
      const { tasks } = await client().claimTasks({ queues: [queue], worker_id: 'hot-worker', max_tasks: BATCH });
      assert.ok(tasks.length > 0, `claimed ${done} of ${TASKS}, then nothing`);
      const { results } = await client().completeTasks({
        requests: tasks.map((c) => ({ queue, task_id: c.task?.id ?? '', lease_token: c.lease_token, result: Buffer.from('ok') })),
      });
      assert.ok(results.every((r) => r.state === 'TASK_STATE_SUCCEEDED'));
      done += tasks.length;
    }
    const after = await Promise.all(setup.redis.masters.map(work));
    const scripts = after.map((a, i) => a.scripts - (before[i]?.scripts ?? 0));
    const cpu = after.map((a, i) => a.cpu - (before[i]?.cpu ?? 0));
    const spread = (values: number[]): number => Math.max(...values) / Math.min(...values);
    const figures = `scripts ${scripts.join('/')}, CPU ${cpu.map((c) => c.toFixed(2)).join('/')} s`;
    assert.ok(spread(scripts) <= 1.3, `scripts per master within 1.3x (${figures})`);
    assert.ok(spread(cpu) <= 1.3, `Redis CPU per master within 1.3x (${figures})`);
    assert.equal((await client().getQueue({ queue })).queue?.counts?.succeeded, TASKS);
    console.log(`# per master: ${figures}`);
  });
});
