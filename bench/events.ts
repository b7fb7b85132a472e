/**
 * Event delivery latency: from the change committed in Redis (the event's time) to a watcher receiving it, with
 * `watchers` WatchTasks streams on one queue while a producer submits at a steady rate.
 *
 *   npm run build && node --import tsx bench/events.ts [--rate 1000] [--seconds 5] [--watchers 100]
 *     [--processes 4] [--warmup 10] [--windows 3] [--waiters 0] [--redis cluster]
 *
 * The watchers run in `processes` child processes (one connection each), as separate dashboards would: one
 * process decoding every watcher's stream would measure that process, not Baton. Latency is the receiving
 * process's Date.now() minus the event's time (both the same machine's clock), per event. Events of the first
 * `warmup` seconds at the same rate are not counted: a long-running replica is past its start, and a fresh one
 * saturates a core for its first second or two, needs a few more to work off the backlog, and for about ten seconds
 * has longer young-generation collections while its heap grows to its working size (seen with --trace-gc; figures
 * in docs/benchmarks.md); with `--warmup 0` that transient is what p99 shows. The measured time is `windows` windows
 * of `seconds` each, with p50 and p99 printed for each and their medians: a shared machine's speed drifts, and one
 * window can be a slow one. It also prints the CPU each process spent per event in the measured part (from /proc
 * for the server and Redis, and each Node process's own count): latency moves with how busy the machine is, CPU
 * per event much less, so a change is judged by that.
 *
 * `--waiters N` also keeps N WaitTask calls open on the queue, each for a task of its own that does not finish
 * during the run, as a service answering requests with RunTask would: every event passes them by.
 *
 * BATON_BENCH_NODE_ARGS passes Node flags to the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { WatchTasksRequest } from '../clients/typescript/src/contract.js';
import type { WatchTasksResponse } from '../clients/typescript/src/contract.js';
import { startPlainRedis, startRedisCluster } from '../tools/redis/cluster.js';
import { startBatonProcess } from './batonServer.js';
import { sdk } from './sdk.js';
import { cpuTimeMs, format, median, option, percentile } from './stats.js';

function optionText(name: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? '') : '';
}

/** Parent → child: count events committed from `from` (epoch ms) on. */
interface MeasureMessage {
  type: 'measure';
  from: number;
}

/** Parent → child: every watcher should get `expected` events in all; report once they have, or after `waitMs`. */
interface FinishMessage {
  type: 'finish';
  expected: number;
  waitMs: number;
}

/** Child → parent. */
type ChildMessage =
  | { type: 'ready' }
  | {
      type: 'report';
      latencies: Float64Array;
      committed: Float64Array;
      received: number;
      messages: number;
      errors: number;
      /** CPU time from the start of the measurement until every watcher had every event. */
      cpuMs: number;
    };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Each measured event's latency and commit time, in typed arrays sized up front for the events expected. The
 * instrument must not disturb what it measures: growing plain arrays of a million numbers copies them into ever
 * larger backing stores on the old-generation heap, and the collector pauses this triggers (all four watcher
 * processes at the same count) showed up as latency.
 */
class Samples {
  latencies: Float64Array;
  committed: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.latencies = new Float64Array(Math.max(1024, capacity));
    this.committed = new Float64Array(this.latencies.length);
  }

  add(latency: number, committed: number): void {
    if (this.size === this.latencies.length) {
      // A few events committed in the millisecond the measurement started are more than expected.
      const grow = (from: Float64Array): Float64Array => {
        const to = new Float64Array(from.length * 2);
        to.set(from);
        return to;
      };
      this.latencies = grow(this.latencies);
      this.committed = grow(this.committed);
    }
    this.latencies[this.size] = latency;
    this.committed[this.size] = committed;
    this.size += 1;
  }
}

/** A child process: `count` watchers of `queue` on one connection; reports every event's latency. */
async function child(): Promise<void> {
  const address = optionText('address');
  const queue = optionText('queue');
  const count = option('count', 1);
  const client = new sdk.BatonClient(address);
  const samples = new Samples(count * option('expect', 0));
  const allEvents = option('all', Infinity);
  const received: number[] = Array.from({ length: count }, () => 0);
  let complete = 0;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  let cpuUsed: NodeJS.CpuUsage | undefined;
  let measureFrom = Infinity;
  let messages = 0;
  let errors = 0;
  const streams = received.map((_, i) => {
    const stream = client.tasks.watchTasks(WatchTasksRequest.fromPartial({ queue }));
    stream.on('data', (message: WatchTasksResponse) => {
      const now = Date.now();
      let measured = false;
      for (const event of message.events) {
        const time = event.time;
        if (!time) continue;
        received[i] = (received[i] ?? 0) + 1;
        if (received[i] === allEvents) {
          complete += 1;
          if (complete === count) cpuUsed = process.cpuUsage(cpuAtStart);
        }
        const committed = time.seconds * 1000 + Math.floor(time.nanos / 1e6);
        if (committed < measureFrom) continue;
        measured = true;
        samples.add(now - committed, committed);
      }
      if (measured) messages += 1;
    });
    stream.on('error', (error: { code?: number }) => {
      if (error.code !== 1) errors += 1;
    });
    return stream;
  });
  const send = (message: ChildMessage): Promise<void> =>
    new Promise((resolve, reject) => {
      process.send?.(message, (error: Error | null) => {
        if (error) reject(error);
        else resolve();
      });
    });
  const finish = new Promise<FinishMessage>((resolve) => {
    process.on('message', (message: MeasureMessage | FinishMessage) => {
      if (message.type === 'measure') {
        measureFrom = message.from;
        cpuAtStart = process.cpuUsage();
      } else resolve(message);
    });
  });
  await send({ type: 'ready' });
  const { expected, waitMs } = await finish;
  const deadline = Date.now() + waitMs;
  while (received.some((n) => n < expected) && Date.now() < deadline) await sleep(50);
  for (const stream of streams) stream.cancel();
  client.close();
  await send({
    type: 'report',
    latencies: samples.latencies.subarray(0, samples.size),
    committed: samples.committed.subarray(0, samples.size),
    received: received.reduce((sum, n) => sum + n, 0),
    messages,
    errors,
    cpuMs: cpuUsed ? (cpuUsed.user + cpuUsed.system) / 1000 : NaN,
  });
  process.disconnect();
}

/** A watcher process: `count` watchers; `expect` events each are measured, of `all` they receive. */
function startChild(
  address: string,
  queue: string,
  count: number,
  events: { expect: number; all: number },
): { process: ChildProcess; ready: Promise<void> } {
  const args = ['--child', '--address', address, '--queue', queue, '--count', String(count)];
  args.push('--expect', String(events.expect), '--all', String(events.all));
  const proc = fork(__filename, args, {
    execArgv: ['--import', 'tsx'],
    // Structured clone: the latencies go across as a typed array, not JSON.
    serialization: 'advanced',
  });
  const ready = new Promise<void>((resolve, reject) => {
    proc.once('message', (message: ChildMessage) => {
      if (message.type === 'ready') resolve();
    });
    proc.once('exit', (code) => {
      reject(new Error(`watcher process exited with ${String(code)} before it was ready`));
    });
  });
  return { process: proc, ready };
}

/** `count` WaitTask calls on `queue`, each for a task delayed by an hour; they end when the client closes. */
async function openWaits(client: InstanceType<typeof sdk.BatonClient>, queue: string, count: number): Promise<void> {
  for (let from = 0; from < count; from += 500) {
    const requests = Array.from({ length: Math.min(500, count - from) }, () => ({ queue, delay: { seconds: 3_600 } }));
    const { results } = await client.submitTasks({ requests });
    for (const { task_id } of results) {
      client.waitTask({ queue, task_id, timeout: { seconds: 60 } }).catch(() => undefined);
    }
  }
}

async function main(): Promise<void> {
  const rate = option('rate', 1000);
  const seconds = option('seconds', 5);
  const windows = Math.max(1, option('windows', 3));
  const watcherCount = option('watchers', 100);
  const warmup = option('warmup', 10);
  const processCount = Math.max(1, Math.min(option('processes', 4), watcherCount));
  const cluster = process.argv.includes('cluster');
  const redis = cluster ? await startRedisCluster() : await startPlainRedis();
  const baton = await startBatonProcess(redis.config, process.env.BATON_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []);
  const producerClient = new sdk.BatonClient(baton.address);
  // A producer that submits continuously, as the SDK recommends it: on one SubmitTasksStream.
  const producer = producerClient.submitter();
  const queue = 'bench-events';
  // Before the watchers start, so that they do not see these tasks' submits.
  const waiterCount = option('waiters', 0);
  await openWaits(producerClient, queue, waiterCount);
  const warmupEvents = Math.round(rate * warmup);
  const total = rate * seconds * windows;
  const children = Array.from({ length: processCount }, (_, i) => {
    // Spread the watchers as evenly as they go: 100 over 4 processes is 25 each.
    const count = Math.floor(watcherCount / processCount) + (i < watcherCount % processCount ? 1 : 0);
    return startChild(baton.address, queue, count, { expect: total, all: warmupEvents + total });
  });
  await Promise.all(children.map((c) => c.ready));
  // Let every stream reach the server and join the queue's feed before the first event.
  await sleep(1_000);

  const start = performance.now();
  // Submits in flight are counted, not kept: holding every submit's promise until the end grew the producer's old
  // generation by tens of thousands of objects, and its collector pauses turned the steady rate into bursts.
  let inFlight = 0;
  let submitError: unknown;
  let allAnswered = (): void => undefined;
  const answered = (): void => {
    inFlight -= 1;
    if (inFlight === 0) allAnswered();
  };
  // CPU of the measured part: the server's and Redis's from /proc, the producer's (this process) and the
  // watchers' from each process's own count.
  const servicePids = [baton.process.pid ?? 0, ...[...redis.masters, ...redis.replicas].map((n) => n.process.pid ?? 0)];
  let serviceCpuBefore: number[] = [];
  let producerCpuBefore: NodeJS.CpuUsage | undefined;
  let measureFrom = 0;
  for (let i = 0; i < warmupEvents + total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    if (i === warmupEvents) {
      measureFrom = Date.now();
      serviceCpuBefore = servicePids.map((pid) => cpuTimeMs([pid]));
      producerCpuBefore = process.cpuUsage();
      const measure: MeasureMessage = { type: 'measure', from: measureFrom };
      for (const c of children) c.process.send(measure);
    }
    inFlight += 1;
    producer.submit({ queue, payload: Buffer.alloc(100) }).then(answered, (error: unknown) => {
      submitError ??= error;
      answered();
    });
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (allAnswered = resolve));
  if (submitError !== undefined) throw new Error('a submit failed', { cause: submitError });
  const producerCpu = process.cpuUsage(producerCpuBefore);
  await producer.close();

  const reports = await Promise.all(
    children.map(
      (c) =>
        new Promise<Extract<ChildMessage, { type: 'report' }>>((resolve, reject) => {
          c.process.on('message', (message: ChildMessage) => {
            if (message.type === 'report') resolve(message);
          });
          c.process.once('exit', (code) => {
            reject(new Error(`watcher process exited with ${String(code)} before it reported`));
          });
          const finish: FinishMessage = { type: 'finish', expected: warmupEvents + total, waitMs: 10_000 };
          c.process.send(finish);
        }),
    ),
  );
  const [serverCpuMs = NaN, ...redisCpuMs] = servicePids.map((pid, i) => cpuTimeMs([pid]) - (serviceCpuBefore[i] ?? NaN));
  const latencies = reports.flatMap((r) => Array.from(r.latencies));
  const committed = reports.flatMap((r) => Array.from(r.committed));
  const received = reports.reduce((sum, r) => sum + r.received, 0);
  const messages = reports.reduce((sum, r) => sum + r.messages, 0);
  const endedWithError = reports.reduce((sum, r) => sum + r.errors, 0);
  // Each window's latencies, by when the event was committed.
  const byWindow = Array.from({ length: windows }, (): number[] => []);
  latencies.forEach((latency, i) => {
    const window = Math.floor(((committed[i] ?? 0) - measureFrom) / (seconds * 1000));
    byWindow[Math.min(windows - 1, Math.max(0, window))]?.push(latency);
  });
  const p50s = byWindow.map((values) => percentile(values, 50));
  const p99s = byWindow.map((values) => percentile(values, 99));
  const list = (values: number[]): string => values.map((value) => format(value, '').trim()).join(', ');

  console.log(
    `event delivery, ${rate} events/s in ${windows} windows of ${seconds}s after ${warmup}s of warm-up, ${watcherCount} watchers in ${processCount} processes${waiterCount > 0 ? `, ${waiterCount} WaitTask calls open` : ''}, ${cluster ? 'cluster' : 'single Redis'}:`,
  );
  console.log(
    `  delivered ${received} of ${(warmupEvents + total) * watcherCount} events (warm-up included); ${endedWithError} streams ended with an error`,
  );
  console.log(
    `  measured: ${latencies.length} events in ${messages} messages (${format(messages === 0 ? NaN : latencies.length / messages, 'events per message')})`,
  );
  console.log(`  latency by window: p50 ${list(p50s)} ms; p99 ${list(p99s)} ms`);
  console.log(
    `  latency, median of windows: p50 ${format(median(p50s), 'ms')}, p99 ${format(median(p99s), 'ms')}; all windows: p99 ${format(percentile(latencies, 99), 'ms')}, max ${format(latencies.reduce((a, b) => Math.max(a, b), 0), 'ms')}`,
  );
  const perEvent = (ms: number): string => format((ms * 1000) / total, 'µs');
  const watchersCpuMs = reports.reduce((sum, r) => sum + r.cpuMs, 0);
  console.log(
    `  CPU per event measured: server ${perEvent(serverCpuMs)}, Redis ${perEvent(redisCpuMs.reduce((a, b) => a + b, 0))}, producer ${perEvent((producerCpu.user + producerCpu.system) / 1000)}, watchers ${perEvent(watchersCpuMs)} (${format((watchersCpuMs * 1000) / total / watcherCount, 'µs')} per watcher)`,
  );
  producerClient.close();
  await baton.stop();
  await redis.stop();
}

(process.argv.includes('--child') ? child() : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
