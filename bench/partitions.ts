/**
 * One hot queue on a 3-master cluster, with 1 partition and with 6 (issue #24):
 *
 *   npm run bench:partitions [-- --tasks 20000] [--repeats 3] [--concurrency 50] [--partitions 6]
 *
 * Three redis-server masters and one built Baton server process. Each round, both ways, who goes first alternating:
 * `--tasks` tasks submitted in batches of 100 (SubmitTasks, four in flight: a batch goes to one partition, the next
 * batch to the next), then processed by a worker (the TypeScript SDK's createWorker, a trivial handler) until all
 * succeeded. Figures: throughput (tasks a second, submit and processing), Redis CPU per task (all masters, from
 * /proc), each master's share of it, and the server's CPU per task. Medians over the rounds; one warm-up round first.
 *
 * The spread (busiest master's share x masters: 1 is even) and the Redis CPU per task give the model in
 * docs/benchmarks.md: on N masters with a core each, Redis allows N / (Redis CPU per task x spread) tasks a second.
 */
import { startRedisCluster } from '../tools/redis/cluster.js';
import type { TestRedis } from '../tools/redis/cluster.js';
import { BatonClient } from '../clients/typescript/src/client.js';
import { createWorker } from '../clients/typescript/src/index.js';
import { startBatonProcess } from './batonServer.js';
import { cpuTimeMs, format, inFlight, median, option, table, until } from './stats.js';

const TASKS = option('tasks', 20_000);
const REPEATS = option('repeats', 3);
const CONCURRENCY = option('concurrency', 50);
const PARTITIONS = option('partitions', 6);
const BATCH = 100;
const PAYLOAD = Buffer.alloc(100, 'x');

interface Sample {
  submitPerSecond: number;
  processPerSecond: number;
  /** Redis CPU per task, all masters, µs. */
  redisCpuUs: number;
  /** The busiest master's share of the Redis CPU, times the number of masters (1: even). */
  spread: number;
  /** Each master's share of the Redis CPU, busiest first. */
  shares: number[];
  serverCpuUs: number;
  /** Scripts Redis ran per task (EVALSHA and EVAL, all masters). */
  scripts: number;
}

/** Scripts the masters ran so far (INFO commandstats). */
async function scriptCalls(redis: TestRedis): Promise<number> {
  let calls = 0;
  for (const master of redis.masters) {
    const stats = await master.client.info('commandstats');
    for (const match of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1]);
  }
  return calls;
}

async function round(client: BatonClient, redis: TestRedis, serverPid: number, partitions: number, label: string): Promise<Sample> {
  const redisPids = redis.masters.map((m) => m.process.pid ?? 0);
  const queue = `bench-p${partitions}-${label}`;
  if (partitions > 1) await client.updateQueue({ queue, settings: { partitions } });
  const batches = Array.from({ length: TASKS / BATCH }, () => Array.from({ length: BATCH }, () => ({ queue, payload: PAYLOAD })));
  const redisBefore = redisPids.map((pid) => cpuTimeMs([pid]));
  const serverBefore = cpuTimeMs([serverPid]);
  const scriptsBefore = await scriptCalls(redis);
  const submitStart = performance.now();
  await inFlight(batches, 4, (requests) => client.submitTasks({ requests }));
  const submitMs = performance.now() - submitStart;
  const start = performance.now();
  let handled = 0;
  const worker = createWorker({
    client,
    queues: queue,
    concurrency: CONCURRENCY,
    handler: () => {
      handled += 1;
    },
  });
  void worker.run();
  // Counted here until the last task ran, so that watching costs Redis nothing meanwhile (a GetQueue of a
  // partitioned queue reads every partition); then until its completion is stored.
  await until(() => Promise.resolve(handled >= TASKS));
  await until(async () => (await client.getQueue({ queue })).queue?.counts?.succeeded === TASKS);
  const processMs = performance.now() - start;
  await worker.close(0);
  const redisMs = redisPids.map((pid, i) => cpuTimeMs([pid]) - (redisBefore[i] ?? 0));
  const redisTotal = redisMs.reduce((a, b) => a + b, 0);
  // Busiest first: which master holds a queue's slot depends on its name, new each round.
  const shares = redisMs.map((ms) => ms / redisTotal).sort((a, b) => b - a);
  return {
    submitPerSecond: (TASKS * 1000) / submitMs,
    processPerSecond: (TASKS * 1000) / processMs,
    redisCpuUs: (redisTotal * 1000) / TASKS,
    spread: Math.max(...shares) * redisPids.length,
    shares,
    serverCpuUs: ((cpuTimeMs([serverPid]) - serverBefore) * 1000) / TASKS,
    scripts: ((await scriptCalls(redis)) - scriptsBefore) / TASKS,
  };
}

async function main(): Promise<void> {
  const redis = await startRedisCluster(3);
  const baton = await startBatonProcess(redis.config);
  const client = new BatonClient(baton.address);
  const serverPid = baton.process.pid ?? 0;
  const counts = [1, PARTITIONS];
  const samples = new Map<number, Sample[]>(counts.map((c) => [c, []]));
  try {
    for (const count of counts) await round(client, redis, serverPid, count, 'warm');
    for (let r = 0; r < REPEATS; r++) {
      for (const count of r % 2 === 0 ? counts : [...counts].reverse()) samples.get(count)?.push(await round(client, redis, serverPid, count, String(r)));
    }
  } finally {
    client.close();
    await baton.stop();
    await redis.stop();
  }
  const med = (count: number, field: Exclude<keyof Sample, 'shares'>): number => median((samples.get(count) ?? []).map((s) => s[field]));
  const shares = (count: number): string =>
    [0, 1, 2].map((i) => `${Math.round(100 * median((samples.get(count) ?? []).map((s) => s.shares[i] ?? 0)))}%`).join(' / ');
  const column = (count: number): string[] => [
    `${Math.round(med(count, 'submitPerSecond'))}`,
    `${Math.round(med(count, 'processPerSecond'))}`,
    format(med(count, 'redisCpuUs'), 'µs'),
    shares(count),
    med(count, 'spread').toFixed(2),
    format(med(count, 'serverCpuUs'), 'µs'),
    med(count, 'scripts').toFixed(2),
  ];
  const names = ['submit, tasks/s', 'processing, tasks/s', 'Redis CPU per task (3 masters)', 'Redis CPU share per master, busiest first', 'spread (busiest share x 3)', 'server CPU per task', 'Redis scripts per task'];
  const [one, many] = [column(1), column(PARTITIONS)];
  console.log(`${TASKS} tasks, ${REPEATS} rounds, concurrency ${CONCURRENCY}, batches of ${BATCH}, 3 masters`);
  console.log(table(['figure (median)', '1 partition', `${PARTITIONS} partitions`], names.map((name, i) => [name, one[i] ?? '', many[i] ?? ''])));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
