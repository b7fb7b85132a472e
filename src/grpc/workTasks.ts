import * as grpc from '@grpc/grpc-js';
import type { ClaimPlan, StandingClaim } from '../domain/claims.js';
import type { Lifecycle } from '../domain/lifecycle.js';
import { invalidArgument } from '../domain/errors.js';
import * as limits from '../domain/limits.js';
import * as check from '../domain/validation.js';
import type { Logger } from '../log.js';
import { completeInputsFromProto, completeResultsToProto, durationToMs } from './convert.js';
import type { WorkTasksRequest__Output } from './generated/baton/v1/WorkTasksRequest.js';
import type { WorkTasksResponse } from './generated/baton/v1/WorkTasksResponse.js';
import { giveBack } from './giveBack.js';
import { toStatus } from './status.js';
import { workTasksResponse } from './taskWire.js';

const METHOD = 'baton.v1.WorkerService/WorkTasks';

type WorkCall = grpc.ServerDuplexStream<WorkTasksRequest__Output, WorkTasksResponse>;

/** WorkerService.WorkTasks: one WorkSession per stream. */
export function workTasksHandler(
  lifecycle: Lifecycle,
  shutdown: AbortSignal,
  log: Logger,
): grpc.handleBidiStreamingCall<WorkTasksRequest__Output, WorkTasksResponse> {
  return (call) => {
    new WorkSession(call, lifecycle, shutdown, log).open();
  };
}

/**
 * A worker's session: claims as many tasks as the worker has granted credit for and pushes them, and completes
 * what the worker sends back, answering each request's completions in order. Claims go through the same
 * Lifecycle.claim as ClaimTasks (leases, wake-ups across replicas), so a session is only a cheaper transport.
 *
 * Ends: OK after the worker half-closes (once its last completions are answered); UNAVAILABLE when the server
 * drains (the worker opens a session elsewhere); the error's status when a request is invalid or Redis fails.
 * Tasks claimed while the session was ending are given back at once (ReleaseTask) rather than left to their lease.
 */
class WorkSession {
  private plan: ClaimPlan | undefined;
  private credit = 0;
  private readonly stopClaiming = new AbortController();
  /** Set while the claim loop waits for credit. */
  private onCredit: (() => void) | undefined;
  /** Writers waiting for the client to take what was sent. */
  private drainWaiters: (() => void)[] = [];
  /** Completion batches run one after another, so their answers keep the order of the requests. */
  private completions: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(
    private readonly call: WorkCall,
    private readonly lifecycle: Lifecycle,
    private readonly shutdown: AbortSignal,
    private readonly log: Logger,
  ) {}

  open(): void {
    const onShutdown = (): void => {
      this.finish({ code: grpc.status.UNAVAILABLE, details: 'the server is shutting down; open a new session' });
    };
    this.shutdown.addEventListener('abort', onShutdown, { once: true });
    this.call.on('data', (message: WorkTasksRequest__Output) => {
      this.receive(message);
    });
    this.call.on('end', () => {
      this.finish();
    });
    this.call.on('drain', () => {
      this.wakeWriters();
    });
    this.call.on('cancelled', () => {
      this.ended = true;
      this.stop();
    });
    this.call.on('close', () => {
      this.shutdown.removeEventListener('abort', onShutdown);
    });
    if (this.shutdown.aborted) onShutdown();
  }

  private receive(message: WorkTasksRequest__Output): void {
    if (this.ended || this.isStopping()) return;
    try {
      if (message.start) {
        if (this.plan) throw invalidArgument('start', 'is allowed in the first message only');
        const leaseDurationMs = durationToMs(message.start.lease_duration);
        this.plan = this.lifecycle.planClaim({
          queues: message.start.queues,
          workerId: message.start.worker_id,
          maxTasks: limits.CLAIM_MAX_TASKS,
          ...(leaseDurationMs === undefined ? {} : { leaseDurationMs }),
        });
        void this.claimWhileOpen(this.plan);
      } else if (!this.plan) {
        throw invalidArgument('start', 'is required in the first message');
      }
      if (message.credit !== 0) this.grant(message.credit);
      if (message.completions.length > 0) this.complete(message);
    } catch (error) {
      this.fail(error);
    }
  }

  private grant(credit: number): void {
    check.checkIntRange(credit, 'credit', 0, limits.WORK_CREDIT_PER_MESSAGE_MAX);
    if (this.credit + credit > limits.WORK_CREDIT_OUTSTANDING_MAX) {
      throw invalidArgument(
        'credit',
        `at most ${limits.WORK_CREDIT_OUTSTANDING_MAX} may be granted and not yet used; this session already has ${this.credit}`,
      );
    }
    this.credit += credit;
    this.onCredit?.();
  }

  private complete(message: WorkTasksRequest__Output): void {
    const requests = message.completions;
    const inputs = completeInputsFromProto(requests);
    this.completions = this.completions
      .then(async () => {
        // Sent to Redis after the claim that this message's credit starts, since Redis runs them in the order sent:
        // the worker waits for the claimed tasks, and nobody for these answers.
        await new Promise((resolve) => setImmediate(resolve));
        const outcomes = await this.lifecycle.completeMany(inputs, 'brief');
        await this.send({ completed: completeResultsToProto(requests, outcomes, false, METHOD, this.log) });
      })
      .catch((error: unknown) => {
        this.fail(error);
      });
  }

  private async claimWhileOpen(plan: ClaimPlan): Promise<void> {
    const stopped = this.stopClaiming.signal;
    let claims: StandingClaim | undefined;
    try {
      claims = await this.lifecycle.openClaims(plan);
      while (!this.isStopping()) {
        if (this.credit === 0) {
          await new Promise<void>((resolve) => {
            this.onCredit = resolve;
          });
          this.onCredit = undefined;
          continue;
        }
        const claimed = await claims.next(Math.min(this.credit, limits.CLAIM_MAX_TASKS), stopped);
        if (this.isStopping()) {
          await giveBack(this.lifecycle, claimed, this.log);
          return;
        }
        this.credit -= claimed.length;
        if (claimed.length > 0) {
          await this.send(workTasksResponse(claimed));
        }
      }
    } catch (error) {
      this.fail(error);
    } finally {
      claims?.close();
    }
  }

  /** Writes with backpressure: the next claim waits until the client has taken what was sent. */
  private async send(response: WorkTasksResponse): Promise<void> {
    if (this.ended) return;
    if (this.call.write(response)) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  private wakeWriters(): void {
    for (const wake of this.drainWaiters.splice(0)) wake();
  }

  /** Stops claiming, answers the completions already received, then ends the stream (OK without a status). */
  private finish(status?: Partial<grpc.StatusObject>): void {
    if (this.isStopping()) return;
    this.stop();
    void this.completions.then(() => {
      this.end(status);
    });
  }

  private fail(error: unknown): void {
    this.stop();
    this.end(toStatus(error, METHOD, this.log));
  }

  private isStopping(): boolean {
    return this.stopClaiming.signal.aborted;
  }

  private stop(): void {
    this.stopClaiming.abort();
    this.onCredit?.();
    this.wakeWriters();
  }

  private end(status?: Partial<grpc.StatusObject>): void {
    if (this.ended) return;
    this.ended = true;
    if (status) this.call.emit('error', status);
    else this.call.end();
  }
}
