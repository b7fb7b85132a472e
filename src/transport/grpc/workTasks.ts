import * as grpc from '@grpc/grpc-js';
import type { ClaimPlan, StandingClaim } from '../../domain/claims.js';
import type { Lifecycle } from '../../domain/lifecycle.js';
import { invalidArgument } from '../../domain/errors.js';
import * as limits from '../../domain/limits.js';
import * as check from '../../domain/validation.js';
import type { Logger } from '../../log.js';
import { workTasksResponse } from './claimedTasksWire.js';
import { completeInputsFromProto, completeResultsToProto, durationToMs } from './convert.js';
import type { WorkTasksRequest, WorkTasksResponse } from './contract.js';
import { giveBack } from './giveBack.js';
import { StreamCall } from './streamCall.js';

const METHOD = 'baton.v1.WorkerService/WorkTasks';

type WorkCall = grpc.ServerDuplexStream<WorkTasksRequest, WorkTasksResponse>;

/** WorkerService.WorkTasks: one WorkSession per stream. */
export function workTasksHandler(
  lifecycle: Lifecycle,
  shutdown: AbortSignal,
  log: Logger,
): grpc.handleBidiStreamingCall<WorkTasksRequest, WorkTasksResponse> {
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
  /** Set while the claim loop waits for credit. */
  private onCredit: (() => void) | undefined;
  /** Completion batches run one after another, so their answers keep the order of the requests. */
  private completions: Promise<void> = Promise.resolve();
  private readonly stream: StreamCall<WorkTasksResponse, WorkTasksRequest>;

  constructor(
    private readonly call: WorkCall,
    private readonly lifecycle: Lifecycle,
    shutdown: AbortSignal,
    private readonly log: Logger,
  ) {
    this.stream = new StreamCall<WorkTasksResponse, WorkTasksRequest>(call, {
      method: METHOD,
      log,
      shutdown,
      shutdownStatus: { code: grpc.status.UNAVAILABLE, details: 'the server is shutting down; open a new session' },
      settled: () => this.completions,
      closedLine: {
        message: 'work session closed',
        fields: () => ({ workerId: this.plan?.workerId ?? '', queues: this.plan?.queues ?? [] }),
        cancelled: 'cancelled by the worker or its connection',
        ended: 'the worker closed it',
      },
    });
  }

  open(): void {
    this.stream.signal.addEventListener('abort', () => this.onCredit?.(), { once: true });
    this.stream.receive((message: WorkTasksRequest) => {
      this.receive(message);
    });
  }

  private receive(message: WorkTasksRequest): void {
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
        if (this.log.enabled('debug')) {
          this.log.debug('work session opened', { workerId: message.start.worker_id, queues: message.start.queues, peer: this.call.getPeer() });
        }
        void this.claimWhileOpen(this.plan);
      } else if (!this.plan) {
        throw invalidArgument('start', 'is required in the first message');
      }
      if (message.credit !== 0) this.grant(message.credit);
      if (message.completions.length > 0) this.complete(message);
    } catch (error) {
      this.stream.fail(error);
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

  private complete(message: WorkTasksRequest): void {
    const requests = message.completions;
    const inputs = completeInputsFromProto(requests);
    // Each message's completions go to Redis at once, not behind the previous message's: one queue whose master
    // stalls must not hold up the others'. Only the answers keep the order of the messages, as the protocol says.
    const outcomes = (async () => {
      // Sent to Redis after the claim that this message's credit starts, since Redis runs them in the order sent:
      // the worker waits for the claimed tasks, and nobody for these answers.
      await new Promise((resolve) => setImmediate(resolve));
      return this.lifecycle.completeMany(inputs, 'brief');
    })();
    // Settled here as well, so that a failure waiting behind an earlier answer is not reported as unhandled.
    outcomes.catch(() => undefined);
    this.completions = this.completions
      .then(async () => {
        await this.stream.send({ tasks: [], completed: completeResultsToProto(requests, await outcomes, false, METHOD, this.log) });
      })
      .catch((error: unknown) => {
        this.stream.fail(error);
      });
  }

  /** Sends each claim before the next: the next claim waits until the client has taken what was sent. */
  private async claimWhileOpen(plan: ClaimPlan): Promise<void> {
    const stopped = this.stream.signal;
    let claims: StandingClaim | undefined;
    try {
      claims = this.lifecycle.openClaims(plan);
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
          await this.stream.send(workTasksResponse(claimed));
        }
      }
    } catch (error) {
      this.stream.fail(error);
    } finally {
      claims?.close();
    }
  }

  private isStopping(): boolean {
    return this.stream.signal.aborted;
  }
}
