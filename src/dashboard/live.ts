import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import type { DashboardServices, LiveSpec } from './context.js';

/** A burst of events is rendered once: at most one push per second per page, the first within 250 ms. */
const FIRST_PUSH_MS = 250;
const MIN_PUSH_INTERVAL_MS = 1_000;
/** A comment line now and then keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/** One server-sent event; every line of the data gets its own `data:` prefix, as the format requires. */
export function sseMessage(event: string, data: string): string {
  return `event: ${event}\n${data
    .split('\n')
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}

/**
 * A page's live region over server-sent events. The page's queues are followed through Updates.watch (the same
 * shared per-queue readers as WatchTasks, so an open page costs no extra Redis connection when anyone else watches
 * the queue); when events arrive the region is rendered again on the server, as the page would be, and pushed
 * whole (a task page also follows the task's log lines). The browser never polls: it only listens, and the same
 * escaping applies to what it receives.
 */
export function serveLive(
  request: IncomingMessage,
  response: ServerResponse,
  spec: LiveSpec,
  render: () => Promise<string>,
  services: DashboardServices,
  shutdown: AbortSignal,
  log: Logger,
): void {
  const stop = new AbortController();
  const end = (): void => {
    stop.abort();
    clearInterval(keepalive);
    if (tick !== undefined) clearInterval(tick);
    if (pending !== undefined) clearTimeout(pending);
    shutdown.removeEventListener('abort', end);
    response.end();
  };
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  response.write('retry: 2000\n\n');
  let pending: NodeJS.Timeout | undefined;
  let lastPush = 0;
  let rendering = false;
  let again = false;
  const push = async (): Promise<void> => {
    pending = undefined;
    if (rendering) {
      again = true;
      return;
    }
    rendering = true;
    try {
      const body = await render();
      if (!stop.signal.aborted) response.write(sseMessage('main', body));
    } catch (error) {
      log.debug('dashboard live render failed', { error: error instanceof Error ? error.message : String(error) });
      if (!stop.signal.aborted) response.write(sseMessage('gone', error instanceof Error ? error.message : String(error)));
    } finally {
      lastPush = Date.now();
      rendering = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = (): void => {
    if (pending !== undefined || stop.signal.aborted) return;
    pending = setTimeout(() => void push(), Math.max(FIRST_PUSH_MS, lastPush + MIN_PUSH_INTERVAL_MS - Date.now()));
  };
  const keepalive = setInterval(() => response.write(': keepalive\n\n'), KEEPALIVE_MS);
  const tick = spec.tickMs === undefined ? undefined : setInterval(schedule, spec.tickMs);
  request.on('close', end);
  shutdown.addEventListener('abort', end, { once: true });
  const sink = { deliver: schedule, drained: () => Promise.resolve() };
  const filter = spec.taskId === undefined ? {} : { taskId: spec.taskId };
  void Promise.all(
    spec.queues.map((queue) =>
      services.updates.watch(queue, { from: 'now' }, filter, sink, stop.signal).catch((error: unknown) => {
        log.debug('dashboard live watch ended', { queue, error: error instanceof Error ? error.message : String(error) });
      }),
    ),
  );
  const logsOf = spec.logsOf;
  if (logsOf) {
    // Lines already shown come back once at the start; any delivery is only a cue to render the region again.
    const cue = (): Promise<void> => {
      schedule();
      return Promise.resolve();
    };
    services.logs.follow(logsOf.queue, logsOf.taskId, 0, cue, stop.signal).catch((error: unknown) => {
      log.debug('dashboard live log follow ended', { ...logsOf, error: error instanceof Error ? error.message : String(error) });
    });
  }
  // The page was rendered before this stream began: one push now covers whatever changed in between.
  schedule();
}
