import { setMaxListeners } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../log.js';
import type { HealthCheckResponse, HealthServer } from './contract.js';
import { StreamCall } from './streamCall.js';

type ServingStatus = 'SERVING' | 'NOT_SERVING';

/**
 * grpc.health.v1: the whole server and each named service share one status, NOT_SERVING once the server drains;
 * Watch streams are told so and then end, so a draining server does not wait on them.
 */
export class HealthService {
  private status: ServingStatus = 'SERVING';
  private readonly watchers = new Set<StreamCall<HealthCheckResponse>>();
  /**
   * Aborted once every watcher has been sent NOT_SERVING: the watches end on it rather than on the server's
   * shutdown signal itself, so that they cannot end before hearing it.
   */
  private readonly told = new AbortController();

  constructor(
    private readonly services: readonly string[],
    shutdown: AbortSignal,
    private readonly log: Logger,
  ) {
    setMaxListeners(0, this.told.signal);
    shutdown.addEventListener(
      'abort',
      () => {
        this.drain();
      },
      { once: true },
    );
    if (shutdown.aborted) this.drain();
  }

  setStatus(status: ServingStatus): void {
    this.status = status;
    for (const watcher of this.watchers) void watcher.send({ status });
  }

  private drain(): void {
    this.setStatus('NOT_SERVING');
    this.told.abort();
  }

  private statusOf(service: string): HealthCheckResponse['status'] {
    return service === '' || this.services.includes(service) ? this.status : 'SERVICE_UNKNOWN';
  }

  handlers(): HealthServer {
    return {
      check: (call, callback) => {
        const status = this.statusOf(call.request.service);
        if (status === 'SERVICE_UNKNOWN') {
          callback({ code: grpc.status.NOT_FOUND, details: `unknown service "${call.request.service}"` });
          return;
        }
        callback(null, { status });
      },
      watch: (call) => {
        // Written before the lifecycle starts: a watch opened while draining still hears NOT_SERVING, then ends.
        call.write({ status: this.statusOf(call.request.service) });
        const stream = new StreamCall<HealthCheckResponse>(call, { method: 'grpc.health.v1.Health/Watch', log: this.log, shutdown: this.told.signal });
        if (stream.isEnded) return;
        this.watchers.add(stream);
        stream.signal.addEventListener('abort', () => this.watchers.delete(stream), { once: true });
      },
    };
  }
}
