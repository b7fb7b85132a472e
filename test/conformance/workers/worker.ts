/**
 * The TypeScript SDK's conformance worker (see test/conformance/README.md): handlers by task type, lines on stdout
 * for the harness to follow, graceful shutdown on SIGTERM and SIGINT.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PermanentError, RetryError, createWorker } from '../../../clients/typescript/src/index.js';
import type { Handlers, TaskContext } from '../../../clients/typescript/src/index.js';

const SHUTDOWN_TIMEOUT_MS = 2_000;

/** One line on stdout; a pipe is written synchronously on Linux, so the harness sees it at once. */
function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => { resolve(); }, { once: true });
  });
}

/** Each handler says START; a successful one says DONE. */
function traced(handlers: Handlers): Handlers {
  return Object.fromEntries(
    Object.entries(handlers).map(([type, handler]) => [
      type,
      async (task: Parameters<typeof handler>[0], ctx: TaskContext) => {
        say(`START ${task.id}`);
        const result = await handler(task, ctx);
        say(`DONE ${task.id}`);
        return result;
      },
    ]),
  );
}

// As an application using OpenTelemetry would: without a context manager the API keeps no active span at all.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const worker = createWorker({
  address: required('BATON_SERVER'),
  queues: required('BATON_QUEUE'),
  concurrency: Number(process.env.BATON_CONCURRENCY ?? '4'),
  leaseDuration: Number(process.env.BATON_LEASE_MS ?? '2000'),
  ...(process.env.BATON_WORKER_ID ? { workerId: process.env.BATON_WORKER_ID } : {}),
  shutdownTimeout: SHUTDOWN_TIMEOUT_MS,
  handlers: traced({
    echo: (task) => Buffer.concat([Buffer.from('echo:'), task.payload]),
    sleep: async (task) => {
      await sleep(Number(task.payload.toString()));
      return 'slept';
    },
    'wait-cancel': async (task, ctx) => {
      await untilAborted(ctx.signal);
      say(`CANCELLED ${task.id}`);
      throw ctx.signal.reason;
    },
    'fail-permanent': (task) => {
      throw new PermanentError(`permanent ${task.id}`);
    },
    'fail-retry': (task) => {
      if (task.attempt < 3) throw new RetryError(`retry ${task.attempt}`, { retryDelay: 100 });
      return 'ok after 3';
    },
    hold: async (_task, ctx) => {
      await untilAborted(ctx.signal);
      throw ctx.signal.reason;
    },
    json: (_task, ctx) => {
      const { a, b } = ctx.json<{ a: number; b: number }>();
      return JSON.stringify({ sum: a + b });
    },
    // The trace the SDK made active for the handler (no SDK records it here: the span is the API's no-op, which
    // keeps its parent's trace id).
    trace: () => trace.getActiveSpan()?.spanContext().traceId ?? '',
    logs: (task, ctx) => {
      const count = Number(task.payload.toString());
      for (let i = 1; i <= count; i++) ctx.log(`line ${i} of ${count}`);
      ctx.log('done ✓');
      return `logged ${count}`;
    },
  }),
});

worker.on('error', (error) => {
  process.stderr.write(`worker: ${error instanceof Error ? error.message : String(error)}\n`);
});
worker.on('lost', (task, error) => {
  process.stderr.write(`lost ${task.id}: ${error.message}\n`);
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void worker.close(SHUTDOWN_TIMEOUT_MS);
  });
}

const running = worker.run();
say('READY');
running.then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`worker failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
