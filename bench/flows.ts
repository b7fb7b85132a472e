/**
 * The cost of a flow per child task against plain tasks (issue #22):
 *
 *   npm run bench:flows [-- --tasks 20000] [--repeats 3] [--concurrency 50] [--children 1000]
 *
 * One redis-server and one built Baton server process. Each round, both ways, who goes first alternating:
 *   plain  `--tasks` tasks submitted in batches of 1,000 (SubmitTasks, four in flight), then processed by a worker
 *          (the TypeScript SDK's createWorker, a trivial handler) until all succeeded;
 *   flow   the same number of tasks as the children of parents of `--children` children each (SubmitFlow, four in
 *          flight), processed by the same worker until every parent was released (PENDING): each child's
 *          completion also puts it on the outbox, tells its parent (childFinished.lua on the parent's slot) and
 *          takes it off (ackNotices.lua).
 * Figures per task: submit and processing wall time, and the CPU of the server and redis-server (from /proc) while
 * processing. The ratio flow/plain is the overhead per child. Medians over the rounds; one warm-up round first.
 */
import { startPlainRedis } from '../tools/redis/cluster.js';
import { BatonClient } from '../clients/typescript/src/client.js';
import { createWorker } from '../clients/typescript/src/index.js';
import { startBatonProcess } from './batonServer.js';
import { cpuTimeMs, format, inFlight, median, option, table, until } from './stats.js';

const TASKS = option('tasks', 20_000);
const REPEATS = option('repeats', 3);
const CONCURRENCY = option('concurrency', 50);
const CHILDREN = option('children', 1_000);
const PAYLOAD = Buffer.alloc(100, 'x');

interface Sample {
  submitMs: number;
  processMs: number;
  cpuMs: number;
}

async function round(client: BatonClient, pids: number[], kind: 'plain' | 'flow', label: string): Promise<Sample> {
  const queue = `bench-${kind}-${label}`;
  const parents = `bench-parents-${label}`;
  const ids = Array.from({ length: TASKS }, (_, i) => `t${i}`);
  const groups: string[][] = [];
  for (let at = 0; at < ids.length; at += kind === 'plain' ? 1_000 : CHILDREN) groups.push(ids.slice(at, at + (kind === 'plain' ? 1_000 : CHILDREN)));
  const submitStart = performance.now();
  await inFlight(groups, 4, (group) =>
    kind === 'plain'
      ? client.submitTasks({ requests: group.map((task_id) => ({ queue, task_id, payload: PAYLOAD })) })
      : client.submitFlow({
          root: {
            task: { queue: parents, task_id: `p-${group[0] ?? ''}`, payload: PAYLOAD },
            children: group.map((task_id) => ({ task: { queue, task_id, payload: PAYLOAD }, children: [] })),
          },
        }),
  );
  const submitMs = performance.now() - submitStart;
  const cpuBefore = cpuTimeMs(pids);
  const start = performance.now();
  const worker = createWorker({ client, queues: queue, concurrency: CONCURRENCY, handler: () => undefined });
  void worker.run();
  await until(async () => {
    const counts = (await client.getQueue({ queue: kind === 'plain' ? queue : parents })).queue?.counts;
    return kind === 'plain' ? counts?.succeeded === TASKS : counts?.pending === groups.length;
  });
  const processMs = performance.now() - start;
  const cpuMs = cpuTimeMs(pids) - cpuBefore;
  await worker.close(0);
  return { submitMs, processMs, cpuMs };
}

async function main(): Promise<void> {
  const redis = await startPlainRedis();
  const baton = await startBatonProcess(redis.config);
  const client = new BatonClient(baton.address);
  const pids = [baton.process.pid ?? 0, redis.masters[0]?.process.pid ?? 0];
  const samples: Record<'plain' | 'flow', Sample[]> = { plain: [], flow: [] };
  try {
    await round(client, pids, 'plain', 'warm');
    await round(client, pids, 'flow', 'warm');
    for (let r = 0; r < REPEATS; r++) {
      const order: ('plain' | 'flow')[] = r % 2 === 0 ? ['plain', 'flow'] : ['flow', 'plain'];
      for (const kind of order) samples[kind].push(await round(client, pids, kind, String(r)));
    }
  } finally {
    client.close();
    await baton.stop();
    await redis.stop();
  }
  const per = (kind: 'plain' | 'flow', field: keyof Sample): number => median(samples[kind].map((s) => (s[field] * 1000) / TASKS));
  const rows = (['submitMs', 'processMs', 'cpuMs'] as const).map((field) => [
    { submitMs: 'submit, wall per task', processMs: 'processing, wall per task', cpuMs: 'server + redis CPU per task processed' }[field],
    format(per('plain', field), 'µs'),
    format(per('flow', field), 'µs'),
    `${(per('flow', field) / per('plain', field)).toFixed(2)}x`,
  ]);
  console.log(`${TASKS} tasks, ${REPEATS} rounds, concurrency ${CONCURRENCY}, flows of ${CHILDREN} children per parent`);
  console.log(table(['figure (median)', 'plain tasks', 'flow children', 'flow/plain'], rows));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
