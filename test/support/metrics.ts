/** Reading a test server's /metrics, and stopping what a metrics spec started. */
import type { TestServer } from './baton.js';
import { parseExposition, scrape, valueOf } from './prometheus.js';
import type { Sample } from './prometheus.js';

export async function metricsOf(server: TestServer): Promise<Sample[]> {
  return parseExposition(await scrape(server.baton.metricsAddress));
}

/** The task counters of one queue, by metric name (failed split by retry). */
export async function taskCounters(server: TestServer, queue: string): Promise<Record<string, number | undefined>> {
  const samples = await metricsOf(server);
  const of = (name: string, labels: Record<string, string> = {}): number | undefined =>
    valueOf(samples, name, { queue, ...labels });
  return {
    submitted: of('baton_tasks_submitted_total'),
    claimed: of('baton_tasks_claimed_total'),
    succeeded: of('baton_tasks_succeeded_total'),
    failedRetry: of('baton_tasks_failed_total', { retry: 'true' }),
    failedFinal: of('baton_tasks_failed_total', { retry: 'false' }),
    exhausted: of('baton_tasks_exhausted_total'),
    cancelled: of('baton_tasks_cancelled_total'),
    expired: of('baton_tasks_expired_total'),
    leaseExpirations: of('baton_lease_expirations_total'),
    waits: of('baton_task_wait_seconds_count'),
    runs: of('baton_task_run_seconds_count'),
  };
}

export function handled(samples: readonly Sample[], service: string, method: string, code: string): number | undefined {
  return valueOf(samples, 'grpc_server_handled_total', {
    grpc_service: service,
    grpc_method: method,
    grpc_type: 'unary',
    grpc_code: code,
  });
}

/** Stops what started, newest first, even when before() failed half way (a live redis-server keeps the process up). */
export function stopsInReverse(): { add(stop: () => Promise<void>): void; run(): Promise<void> } {
  const stops: (() => Promise<void>)[] = [];
  return {
    add: (stop) => {
      stops.unshift(stop);
    },
    run: async () => {
      for (const stop of stops.splice(0)) await stop();
    },
  };
}
