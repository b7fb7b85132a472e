import type {
  ClaimOutcome,
  ClaimQuery,
  CompleteClaimOutcome,
  Completion,
  FailOutcome,
  HandoffOutcome,
  HeartbeatOutcome,
  HeartbeatUpdate,
  ItemOutcome,
  ListQuery,
  StartOutcome,
  StartQuery,
  SubmitOutcome,
  TaskStore,
  TaskView,
} from '../domain/store.js';
import type { FailureReport, ListTasksPage, NewTask, SubmitResult, Task } from '../domain/task.js';
import { decodeClaimed, decodeDue, decodeExpiries, newTokenNonce } from './redisCalls.js';
import type { RedisClient } from './redis.js';
import { UnreplicatedWriteError } from './redisCalls.js';
import { QueueRegistry } from './queueRegistry.js';
import type { RedisCalls } from './redisCalls.js';
import { scriptError } from './redisErrors.js';
import {
  RETRY_DEFAULTS_ARGV,
  asArray,
  asNumber,
  asString,
  decodeTask,
  decodeTaskRecord,
  encodeConcurrencyKeys,
  encodeNewTask,
  encodeUniques,
  mapTriples,
  stateNumber,
} from './taskCodec.js';
import type { Reply } from './taskCodec.js';

/** submit.lua's handoff arguments when there is none, and complete.lua's claim arguments. */
const NO_HANDOFF = ['', 0, 0, ''] as const;
const NO_CLAIM = NO_HANDOFF;

/** The task operations on Redis: each method is one script run on the queue's slot. */
export class RedisTaskStore implements TaskStore {
  private readonly client: RedisClient;

  constructor(
    private readonly redis: RedisCalls,
    private readonly registry = new QueueRegistry(redis),
  ) {
    this.client = redis.client;
  }

  async submit(queue: string, tasks: NewTask[], returnTasks: boolean): Promise<SubmitOutcome> {
    const [results, , , , due] = await this.submitScript(queue, tasks, returnTasks, NO_HANDOFF);
    return { results: this.decodeSubmitted(queue, results), ...decodeDue(due) };
  }

  async submitAndHandOff(
    queue: string,
    tasks: NewTask[],
    returnTasks: boolean,
    to: ClaimQuery,
  ): Promise<HandoffOutcome> {
    const taker = [to.workerId, to.maxTasks, to.leaseDurationMs, newTokenNonce(to.maxTasks)] as const;
    const [results, handedOff, tally, pendingLeft, due] = await this.submitScript(queue, tasks, returnTasks, taker);
    return {
      results: this.decodeSubmitted(queue, results),
      handedOff: decodeClaimed(queue, handedOff ?? null),
      expiries: decodeExpiries(tally ?? null),
      pendingLeft: asNumber(pendingLeft ?? null),
      ...decodeDue(due),
    };
  }

  async get(queue: string, id: string): Promise<Task | undefined> {
    const reply = await this.redis.script('get', queue, id, (keys) => this.client.batonGetBuffer(...keys, id));
    return reply === null ? undefined : decodeTask(queue, reply);
  }

  async list(queue: string, query: ListQuery): Promise<ListTasksPage> {
    const reply = await this.redis.script('list', queue, '', (keys) =>
      this.client.batonListBuffer(
        ...keys,
        query.state === undefined ? 0 : stateNumber(query.state),
        query.pageSize,
        query.cursor ?? '+inf',
        Math.min(10_000, query.pageSize * 10),
        query.includePayload ? '1' : '0',
        query.type,
        query.metadata?.key ?? '',
        query.metadata?.value ?? '',
        query.parentId ?? '',
        query.rootId ?? '',
      ),
    );
    const [next, tasks, examined] = asArray(reply);
    const nextCursor = asString(next);
    const page: ListTasksPage = { tasks: asArray(tasks ?? null).map((t) => decodeTask(queue, t)), examined: Number(examined) };
    if (nextCursor !== '') page.nextCursor = nextCursor;
    return page;
  }

  async claim(queue: string, request: ClaimQuery): Promise<ClaimOutcome> {
    const reply = await this.givingBackUnreplicated(queue, (reply) => asArray(reply)[1], () => this.redis.write('claim', queue, '', (target, keys, deadline) =>
      target.batonClaimBuffer(
        ...keys,
        request.workerId,
        request.maxTasks,
        request.leaseDurationMs,
        newTokenNonce(request.maxTasks),
        deadline,
      ),
    ));
    const [nextScheduled, claimed, tally, due] = asArray(reply);
    const outcome: ClaimOutcome = {
      claimed: decodeClaimed(queue, claimed ?? null),
      expiries: decodeExpiries(tally ?? null),
      ...decodeDue(due),
    };
    const nextDueTime = asNumber(nextScheduled);
    if (nextDueTime >= 0) outcome.nextDueTime = nextDueTime;
    return outcome;
  }

  async start(task: NewTask, request: StartQuery): Promise<StartOutcome> {
    const reply = await this.registry.write(task.queue, (registration) =>
      this.redis.write('start', task.queue, task.id, (target, keys, deadline) =>
        target.batonStartBuffer(
          ...keys,
          request.workerId,
          request.leaseDurationMs,
          request.leaseToken,
          request.force ? '1' : '0',
          newTokenNonce(),
          registration,
          ...encodeNewTask(task),
          deadline,
        ),
      ),
    );
    const [tally, created, token, taskReply, due] = asArray(reply);
    const expiries = decodeExpiries(tally ?? null);
    // A refusal is its error code and arguments where a start has its created flag.
    if (Buffer.isBuffer(created)) return { expiries, refused: scriptError(created.toString(), task.queue, task.id) };
    return {
      expiries,
      started: {
        created: asNumber(created) === 1,
        leaseToken: asString(token),
        task: decodeTask(task.queue, taskReply ?? null),
      },
      ...decodeDue(due),
    };
  }

  async heartbeat(queue: string, id: string, leaseToken: string, update: HeartbeatUpdate): Promise<HeartbeatOutcome> {
    const progress = update.progress;
    const progressArgs = progress ? ['1', progress.current, progress.total, progress.message] : ['0'];
    const reply = await this.redis.write('heartbeat', queue, id, (target, keys, deadline) =>
      target.batonHeartbeatBuffer(...keys, id, leaseToken, update.leaseDurationMs, ...progressArgs, deadline),
    );
    const [leaseExpiry, cancelRequested, due] = asArray(reply);
    return {
      leaseExpireTime: asNumber(leaseExpiry),
      cancelRequested: asNumber(cancelRequested) === 1,
      ...decodeDue(due),
    };
  }

  async complete(queue: string, items: readonly Completion[], view: TaskView): Promise<ItemOutcome[]> {
    const [results] = asArray(await this.completeScript(queue, items, view, NO_CLAIM));
    return this.decodeCompleted(queue, items, results);
  }

  async completeAndClaim(queue: string, items: readonly Completion[], view: TaskView, to: ClaimQuery): Promise<CompleteClaimOutcome> {
    const taker = [to.workerId, to.maxTasks, to.leaseDurationMs, newTokenNonce(to.maxTasks)] as const;
    const reply = await this.givingBackUnreplicated(queue, (reply) => asArray(reply)[1], () => this.completeScript(queue, items, view, taker));
    const [results, claimed, tally, due] = asArray(reply);
    return {
      outcomes: this.decodeCompleted(queue, items, results),
      claimed: decodeClaimed(queue, claimed ?? null),
      expiries: decodeExpiries(tally ?? null),
      ...decodeDue(due),
    };
  }

  /** complete.lua, claiming for `taker` after the completions unless it is NO_CLAIM. */
  private completeScript(queue: string, items: readonly Completion[], view: TaskView, taker: readonly (string | number)[]): Promise<Reply> {
    const args = items.flatMap((item) => [item.id, item.leaseToken, item.result]);
    return this.redis.write('complete', queue, items.length === 1 ? (items[0]?.id ?? '') : '', (target, keys, deadline) =>
      target.batonCompleteBuffer(...keys, items.length, view, ...taker, ...args, deadline),
    );
  }

  private decodeCompleted(queue: string, items: readonly Completion[], results: Reply | undefined): ItemOutcome[] {
    return mapTriples(
      results ?? null,
      (ok, idOrCode, record, i): ItemOutcome =>
        asNumber(ok) === 1
          ? { task: decodeTaskRecord(queue, idOrCode, record) }
          : { error: scriptError(asString(idOrCode), queue, items[i]?.id ?? '') },
    );
  }

  async fail(queue: string, id: string, leaseToken: string, failure: FailureReport): Promise<FailOutcome> {
    const reply = await this.redis.write('fail', queue, id, (target, keys, deadline) =>
      target.batonFailBuffer(
        ...keys,
        id,
        leaseToken,
        failure.type,
        failure.message,
        failure.details,
        failure.permanent ? '1' : '0',
        failure.retryDelayMs ?? -1,
        Math.random(),
        ...RETRY_DEFAULTS_ARGV,
        deadline,
      ),
    );
    const [task, due] = asArray(reply);
    return { task: decodeTask(queue, task ?? null), ...decodeDue(due) };
  }

  async release(queue: string, id: string, leaseToken: string): Promise<Task> {
    const reply = await this.redis.write('release', queue, id, (target, keys, deadline) =>
      target.batonReleaseBuffer(...keys, id, leaseToken, deadline),
    );
    return decodeTask(queue, reply);
  }

  async cancel(queue: string, id: string): Promise<Task> {
    const reply = await this.redis.write('cancel', queue, id, (target, keys, deadline) =>
      target.batonCancelBuffer(...keys, id, deadline),
    );
    return decodeTask(queue, reply);
  }

  async retry(queue: string, id: string): Promise<Task> {
    const reply = await this.redis.write('retry', queue, id, (target, keys, deadline) =>
      target.batonRetryBuffer(...keys, id, deadline),
    );
    return decodeTask(queue, reply);
  }

  /** submit.lua: stores the tasks, then hands pending ones to `taker` (a waiting claim) when it names one. */
  private async submitScript(
    queue: string,
    tasks: NewTask[],
    returnTasks: boolean,
    taker: readonly (string | number)[],
  ): Promise<(Reply | undefined)[]> {
    const args = [...tasks.flatMap(encodeNewTask), ...encodeConcurrencyKeys(tasks)];
    const uniques = encodeUniques(tasks);
    const reply = await this.registry.write(queue, (registration) =>
      this.givingBackUnreplicated(
        queue,
        (reply) => asArray(reply)[1],
        () =>
          this.redis.write('submit', queue, '', (target, keys, deadline) =>
            target.batonSubmitBuffer(...keys, tasks.length, returnTasks ? '1' : '0', ...taker, registration, ...args, ...uniques, deadline),
          ),
      ),
    );
    return asArray(reply);
  }

  /**
   * Runs a write that may grant leases (a claim, a submit handing tasks to a waiting claim). When its replicas do
   * not confirm it, the leases are not delivered: the caller gets UNAVAILABLE, and each lease is given back
   * (release.lua) in the background. That is safe whatever became of the write, because nobody holds the tokens:
   * they were minted for this call and never left the process. If the write was lost (its master failed over),
   * the release finds no such lease and changes nothing; if it is there, the task is pending again at once; if the
   * release fails too, the lease runs out as any abandoned lease does and the task is claimable again after it.
   */
  private async givingBackUnreplicated(
    queue: string,
    leasesOf: (reply: Reply) => Reply | undefined,
    write: () => Promise<Reply>,
  ): Promise<Reply> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof UnreplicatedWriteError && error.reply !== undefined) {
        for (const { leaseToken, task } of decodeClaimed(queue, leasesOf(error.reply) ?? null)) {
          this.release(queue, task.id, leaseToken).catch(() => undefined);
        }
      }
      throw error;
    }
  }

  private decodeSubmitted(queue: string, results: Reply | undefined): SubmitOutcome['results'] {
    return mapTriples(results ?? null, (created, id, record) => {
      const outcome = asNumber(created);
      if (outcome === -1) return { error: scriptError(asString(record), queue, asString(id)) };
      const result: SubmitResult = { created: outcome === 1, task: decodeTaskRecord(queue, id, record) };
      if (outcome >= 2) result.deduplicated = true;
      if (outcome === 3) result.debounced = true;
      return result;
    });
  }
}
