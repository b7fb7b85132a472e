import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { BatonClient } from './client.js';
import { statusOf } from './errors.js';

const SDK_NAME = 'baton-ts';

let packageVersion: string | undefined;

/** This package's version, from the nearest package.json named baton above this file (src/ or dist/src/). */
function sdkVersion(): string {
  if (packageVersion !== undefined) return packageVersion;
  packageVersion = '';
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'baton' && typeof pkg.version === 'string') {
        packageVersion = pkg.version;
        break;
      }
    } catch {
      // no package.json here: look further up
    }
  }
  return packageVersion;
}

/** What a registering worker tells its registration. */
export interface RegisteringWorker {
  readonly client: BatonClient;
  readonly workerId: string;
  readonly queues: readonly string[];
  /** Whether the worker holds no task now: heartbeats already show a busy worker alive. */
  idle(): boolean;
  /** Whether the worker is shutting down: its errors are no longer worth reporting. */
  stopping(): boolean;
  report(error: unknown): void;
}

/**
 * RegisterWorker (hostname, pid, SDK) at start and again every `intervalMs` while the worker holds no task, so
 * operator views keep an idle worker alive.
 */
export class Registration {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly worker: RegisteringWorker,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.register();
    this.timer = setInterval(() => {
      if (this.worker.idle() && !this.worker.stopping()) this.register();
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private register(): void {
    const { client, workerId, queues } = this.worker;
    const request = {
      worker_id: workerId,
      hostname: hostname(),
      pid: process.pid,
      sdk_name: SDK_NAME,
      sdk_version: sdkVersion(),
      queues: [...queues],
    };
    client.registerWorker(request, { retry: false }).catch((error: unknown) => {
      const code = statusOf(error);
      // A server without QueueService: stop asking. An outage: the claim loop reports it already.
      if (code === grpc.status.UNIMPLEMENTED) this.stop();
      else if (code !== grpc.status.UNAVAILABLE && !this.worker.stopping()) this.worker.report(error);
    });
  }
}
