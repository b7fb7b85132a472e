import * as grpc from '@grpc/grpc-js';
import type { HealthHandlers } from './generated/grpc/health/v1/Health.js';
import type { HealthCheckResponse } from './generated/grpc/health/v1/HealthCheckResponse.js';

type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** grpc.health.v1: the whole server and each named service share one status, NOT_SERVING once draining. */
export class HealthService {
  private status: ServingStatus = 'SERVING';
  private readonly watchers = new Set<grpc.ServerWritableStream<unknown, HealthCheckResponse>>();

  constructor(private readonly services: readonly string[]) {}

  setStatus(status: ServingStatus): void {
    this.status = status;
    for (const watcher of this.watchers) watcher.write({ status });
  }

  /** Ends open Watch streams, so a draining server does not wait on them. */
  endWatches(): void {
    for (const watcher of this.watchers) watcher.end();
    this.watchers.clear();
  }

  private statusOf(service: string): HealthCheckResponse['status'] {
    return service === '' || this.services.includes(service) ? this.status : 'SERVICE_UNKNOWN';
  }

  handlers(): HealthHandlers {
    return {
      Check: (call, callback) => {
        const status = this.statusOf(call.request.service);
        if (status === 'SERVICE_UNKNOWN') {
          callback({ code: grpc.status.NOT_FOUND, details: `unknown service "${call.request.service}"` });
          return;
        }
        callback(null, { status });
      },
      Watch: (call) => {
        call.write({ status: this.statusOf(call.request.service) });
        this.watchers.add(call);
        call.on('cancelled', () => this.watchers.delete(call));
      },
    };
  }
}
