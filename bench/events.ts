/**
 * Event delivery latency: from the change committed in Redis (the event's time) to a watcher receiving it, with
 * `watchers` WatchTasks streams on one queue while a producer submits at a steady rate.
 *
 *   npm run build && node --import tsx bench/events.ts [--rate 1000] [--seconds 5] [--watchers 100] [--redis cluster]
 */
import { performance } from 'node:perf_hooks';
import { BatonClient } from '../src/client/client.js';
import type { WatchTasksResponse__Output } from '../src/grpc/generated/baton/v1/WatchTasksResponse.js';
import { startPlainRedis, startRedisCluster } from '../test/support/redis.js';
import { startBatonProcess } from './batonServer.js';
import { format, percentile } from './stats.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

async function main(): Promise<void> {
  const rate = option('rate', 1000);
  const seconds = option('seconds', 5);
  const watcherCount = option('watchers', 100);
  const cluster = process.argv.includes('cluster');
  const redis = cluster ? await startRedisCluster() : await startPlainRedis();
  const baton = await startBatonProcess(redis.config);
  // Watchers spread over a few connections, as separate dashboards would be.
  const channels = Array.from({ length: 4 }, () => new BatonClient(baton.address));
  const producer = new BatonClient(baton.address);
  const queue = 'bench-events';
  const latencies: number[] = [];
  let received = 0;
  let endedWithError = 0;
  const streams = Array.from({ length: watcherCount }, (_, i) => {
    const stream = (channels[i % channels.length] as BatonClient).tasks.WatchTasks({ queue });
    stream.on('data', (message: WatchTasksResponse__Output) => {
      const now = Date.now();
      for (const event of message.events) {
        const time = event.time;
        if (!time) continue;
        received += 1;
        latencies.push(now - (time.seconds * 1000 + Math.floor(time.nanos / 1e6)));
      }
    });
    stream.on('error', (error: { code?: number }) => {
      if (error.code !== 1) endedWithError += 1;
    });
    return stream;
  });
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  const total = rate * seconds;
  const start = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(producer.submitTask({ queue, payload: Buffer.alloc(100) }));
  }
  await Promise.all(pending);
  const deadline = Date.now() + 10_000;
  while (received < total * watcherCount && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

  console.log(
    `event delivery, ${rate} events/s for ${seconds}s, ${watcherCount} watchers, ${cluster ? 'cluster' : 'single Redis'}:`,
  );
  console.log(`  delivered ${received} of ${total * watcherCount}; ${endedWithError} streams ended with an error`);
  console.log(`  latency p50 ${format(percentile(latencies, 50), 'ms')}, p99 ${format(percentile(latencies, 99), 'ms')}, max ${format(latencies.reduce((a, b) => Math.max(a, b), 0), 'ms')}`);
  for (const stream of streams) stream.cancel();
  for (const channel of [...channels, producer]) channel.close();
  await baton.stop();
  await redis.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
