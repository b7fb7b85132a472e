import * as grpc from '@grpc/grpc-js';
import type { ClaimPlan, StandingClaim } from '../../domain/claims.js';
import type { ItemOutcome } from '../../domain/store.js';
import type { ClaimedTask } from '../../domain/task.js';
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

/**
 * The most completions a message may carry for them to claim the session's next tasks in their script: the tasks
 * then wait for the completions' work in Redis, which a few cost less than a round trip of the claim's own, and
 * more do not (a busy worker's message of many completions claims first, on its own).
 */
const FETCH_NEXT_MAX_COMPLETIONS = 4;

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
  /** Credit of messages whose completions are claiming with it (completeAndClaim), not yet used or returned. */
  private claimingCredit = 0;
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
      const completions = message.completions.length;
      if (message.credit > 0 && completions > 0 && completions <= FETCH_NEXT_MAX_COMPLETIONS && this.credit === 0 && this.onCredit) {
        // The claim loop waits for this credit: the completions claim the next tasks in their own script instead.
        this.completeAndClaim(message, this.plan);
      } else {
        if (message.credit !== 0) this.grant(message.credit);
        if (message.completions.length > 0) this.complete(message);
      }
    } catch (error) {
      this.stream.fail(error);
    }
  }

  private grant(credit: number): void {
    this.checkCredit(credit);
    this.addCredit(credit);
  }

  private checkCredit(credit: number): void {
    check.checkIntRange(credit, 'credit', 0, limits.WORK_CREDIT_PER_MESSAGE_MAX);
    const outstanding = this.credit + this.claimingCredit;
    if (outstanding + credit > limits.WORK_CREDIT_OUTSTANDING_MAX) {
      throw invalidArgument(
        'credit',
        `at most ${limits.WORK_CREDIT_OUTSTANDING_MAX} may be granted and not yet used; this session already has ${outstanding}`,
      );
    }
  }

  private addCredit(credit: number): void {
    this.credit += credit;
    if (credit > 0) this.onCredit?.();
  }

  /**
   * Completes the message's items and, in the same script, claims up to its credit for this session; the tasks go
   * out at once, the answers in their turn, and credit the claim did not use goes to the claim loop.
   */
  private completeAndClaim(message: WorkTasksRequest, plan: ClaimPlan): void {
    const credit = message.credit;
    this.checkCredit(credit);
    this.claimingCredit += credit;
    const requests = message.completions;
    const outcomes = (async () => {
      let claimed: ClaimedTask[] = [];
      try {
        const outcome = await this.lifecycle.completeAndClaim(completeInputsFromProto(requests), 'brief', plan, Math.min(credit, limits.CLAIM_MAX_TASKS));
        claimed = outcome.claimed;
        return outcome.outcomes;
      } finally {
        this.claimingCredit -= credit;
        if (this.isStopping()) {
          await giveBack(this.lifecycle, claimed, this.log);
        } else {
          if (claimed.length > 0) void this.stream.send(workTasksResponse(claimed));
          this.addCredit(credit - claimed.length);
        }
      }
    })();
    this.answerInTurn(requests, outcomes);
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
    this.answerInTurn(requests, outcomes);
  }

  /** Sends the answers to one message's completions once those of the messages before it are sent. */
  private answerInTurn(requests: WorkTasksRequest['completions'], outcomes: Promise<ItemOutcome[]>): void {
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
