import { BatonError } from './errors.js';
import { idInPartition, partitionOfId, partitionOfKey } from './partitions.js';
import type { PartitionDirectory, Partitioning } from './partitions.js';
import type {
  ClaimOutcome,
  ClaimQuery,
  CompleteClaimOutcome,
  Completion,
  Expiries,
  FailOutcome,
  HandoffOutcome,
  HeartbeatOutcome,
  HeartbeatUpdate,
  ItemOutcome,
  ListQuery,
  StartOutcome,
  StartQuery,
  SubmitOutcome,
  SubmittedItem,
  TaskStore,
  TaskView,
} from './store.js';
import type { FailureReport, ListTasksPage, NewTask, Task } from './task.js';

/** A ULID as Baton generates it: the id of a task of partition 0 unless a caller chose it. */
const PLAIN_ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** A ListTasks cursor past partition 0: `P<partition>|<that partition's cursor>`. */
const PARTITION_CURSOR = /^P(\d{1,3})\|(.*)$/;

const minDue = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

function withoutCursor(query: ListQuery): ListQuery {
  const rest = { ...query };
  delete rest.cursor;
  return rest;
}

/** An expiry tally of nothing (copied where a caller adds to it). */
const NO_EXPIRIES: Expiries = { leasesExpired: 0, leasesExhausted: 0, leasesCancelled: 0, tasksExpired: 0 };
/** How long a worker's claims stay on one partition that fills them before they move to the next (ms). */
const STAY_MS = 500;

const isNotFound = (error: unknown): boolean => error instanceof BatonError && error.code === 'NOT_FOUND';

/**
 * The task store over partitioned queues (see partitions.ts): takes queue names, and calls the store below with the
 * address of the partition concerned. A queue of one partition passes straight through, so it behaves exactly as an
 * unpartitioned queue always has.
 *
 * Ordering: each partition keeps its own order (highest priority first, then oldest); a claim takes from the
 * partitions in turn, from a start that moves on at least every STAY_MS for each worker (see claimStart),
 * so no partition starves, but there is no priority or FIFO order across partitions.
 */
export class PartitionedTaskStore implements TaskStore {
  /** Per queue, where the next round-robin submit and the next claim start. */
  private readonly turns = new Map<string, { submit: number; claim: number }>();
  /** Per queue and worker, the partition its claims stay on, and since when. */
  private readonly staying = new Map<string, { partition: number; since: number }>();

  constructor(
    private readonly store: TaskStore,
    private readonly directory: PartitionDirectory,
  ) {}

  async submit(queue: string, tasks: NewTask[], returnTasks: boolean): Promise<SubmitOutcome> {
    const parts = await this.directory.of(queue);
    if (parts.addresses.length === 1) return this.store.submit(queue, tasks, returnTasks);
    const groups = await this.place(queue, parts, tasks);
    const outcomes = await Promise.all(
      groups.map(async ({ address, items }) => ({ items, outcome: await this.store.submit(address, items.map((i) => i.task), returnTasks) })),
    );
    return this.merge(tasks.length, outcomes);
  }

  async submitAndHandOff(queue: string, tasks: NewTask[], returnTasks: boolean, to: ClaimQuery): Promise<HandoffOutcome> {
    const parts = await this.directory.of(queue);
    if (parts.addresses.length === 1) return this.store.submitAndHandOff(queue, tasks, returnTasks, to);
    const [first, ...others] = await this.place(queue, parts, tasks);
    if (!first) throw new Error('a submit with no tasks');
    const handing = this.store.submitAndHandOff(first.address, first.items.map((i) => i.task), returnTasks, to);
    const submits = Promise.all(others.map(({ address, items }) => this.store.submit(address, items.map((i) => i.task), returnTasks)));
    const [handedOff, submitted] = await Promise.allSettled([handing, submits]);
    if (handedOff.status === 'rejected') throw handedOff.reason;
    const handed = handedOff.value;
    if (submitted.status === 'rejected') {
      // The call fails, so the waiting claim never sees these leases: they go back at once (nobody holds the tokens).
      for (const { task, leaseToken } of handed.handedOff) this.store.release(first.address, task.id, leaseToken).catch(() => undefined);
      throw submitted.reason;
    }
    const rest = submitted.value;
    const merged = this.merge(tasks.length, [first, ...others].map((group, i) => ({ items: group.items, outcome: i === 0 ? handed : rest[i - 1] })));
    // Other partitions may hold pending tasks: the claim that took the handoff is not told it drained the queue.
    return { ...merged, handedOff: handed.handedOff, expiries: handed.expiries, pendingLeft: handed.pendingLeft + 1 };
  }

  async get(queue: string, id: string): Promise<Task | undefined> {
    return this.onTask(queue, id, (address) => this.store.get(address, id));
  }

  async list(queue: string, query: ListQuery): Promise<ListTasksPage> {
    const { addresses } = await this.directory.of(queue);
    const match = PARTITION_CURSOR.exec(query.cursor ?? '');
    if (addresses.length === 1 && !match) return this.store.list(queue, query);
    // Partition by partition, each newest first: the cursor names the partition and the place within it.
    let partition = match ? Number(match[1]) : 0;
    let cursor = match ? match[2] : query.cursor;
    const page: ListTasksPage = { tasks: [], examined: 0 };
    while (partition < addresses.length && page.tasks.length < query.pageSize) {
      const address = addresses[partition] ?? queue;
      const part = await this.store.list(address, {
        ...withoutCursor(query),
        pageSize: query.pageSize - page.tasks.length,
        ...(cursor === undefined || cursor === '' ? {} : { cursor }),
      });
      page.tasks.push(...part.tasks);
      page.examined += part.examined;
      if (part.nextCursor !== undefined) {
        page.nextCursor = `P${partition}|${part.nextCursor}`;
        return page;
      }
      partition += 1;
      cursor = undefined;
    }
    if (partition < addresses.length) page.nextCursor = `P${partition}|`;
    return page;
  }

  async claim(queue: string, request: ClaimQuery): Promise<ClaimOutcome> {
    const { addresses } = await this.directory.of(queue);
    if (addresses.length === 1) return this.store.claim(queue, request);
    const start = this.claimStart(queue, request.workerId, addresses.length);
    const outcome: ClaimOutcome = { claimed: [], expiries: { ...NO_EXPIRIES } };
    let failure: Error | undefined;
    let firstFilled = false;
    for (let i = 0; i < addresses.length && outcome.claimed.length < request.maxTasks; i++) {
      const address = addresses[(start + i) % addresses.length] ?? queue;
      try {
        const part = await this.store.claim(address, { ...request, maxTasks: request.maxTasks - outcome.claimed.length });
        if (i === 0) firstFilled = part.claimed.length >= request.maxTasks;
        outcome.claimed.push(...part.claimed);
        for (const key of ['leasesExpired', 'leasesExhausted', 'leasesCancelled', 'tasksExpired'] as const) outcome.expiries[key] += part.expiries[key];
        const due = minDue(outcome.due, part.due);
        if (due !== undefined) outcome.due = due;
        const next = minDue(outcome.nextDueTime, part.nextDueTime);
        if (next !== undefined) outcome.nextDueTime = next;
      } catch (error) {
        // The leases other partitions granted are delivered; the failing one is asked again on the next claim.
        failure ??= error instanceof Error ? error : new Error(String(error));
        outcome.nextDueTime = minDue(outcome.nextDueTime, Date.now() + 500);
      }
    }
    if (outcome.claimed.length === 0 && failure !== undefined) throw failure;
    this.claimed(queue, request.workerId, start, firstFilled);
    return outcome;
  }

  /**
   * Where a worker's claim starts: where its last claim started, if that partition filled it and the worker came to
   * it less than STAY_MS ago; else the replica's next turn. A worker's claims then come from one partition while it
   * has tasks, so its completions, sent in batches, go to one script, and one master serves its calls back to back
   * (measured: rotating every few claims cost a sixth of the throughput); the time limit keeps every partition
   * served while others have tasks.
   */
  private claimStart(queue: string, workerId: string, count: number): number {
    const stay = this.staying.get(`${queue}\0${workerId}`);
    if (stay && Date.now() - stay.since < STAY_MS && stay.partition < count) return stay.partition;
    return this.turn(queue).claim++ % count;
  }

  private claimed(queue: string, workerId: string, partition: number, filled: boolean): void {
    const key = `${queue}\0${workerId}`;
    if (!filled) {
      this.staying.delete(key);
      return;
    }
    const stay = this.staying.get(key);
    if (stay?.partition === partition && Date.now() - stay.since < STAY_MS) return;
    if (this.staying.size >= 100_000) this.staying.clear();
    this.staying.set(key, { partition, since: Date.now() });
  }

  async start(task: NewTask, request: StartQuery): Promise<StartOutcome> {
    const parts = await this.directory.of(task.queue);
    if (parts.addresses.length === 1) return this.store.start(task, request);
    const found = await this.where(task.queue, task.id);
    const address = found ?? parts.addresses[this.placeOne(task, parts, 0)] ?? task.queue;
    return this.store.start({ ...task, queue: address }, request);
  }

  heartbeat(queue: string, id: string, leaseToken: string, update: HeartbeatUpdate): Promise<HeartbeatOutcome> {
    return this.onTask(queue, id, (address) => this.store.heartbeat(address, id, leaseToken, update));
  }

  /** A partitioned queue's completions claim nothing: the worker's own claims go round its partitions. */
  async completeAndClaim(queue: string, items: readonly Completion[], view: TaskView, to: ClaimQuery): Promise<CompleteClaimOutcome> {
    const parts = await this.directory.of(queue);
    if (parts.addresses.length === 1) return this.store.completeAndClaim(queue, items, view, to);
    return { outcomes: await this.complete(queue, items, view), claimed: [], expiries: { ...NO_EXPIRIES } };
  }

  async complete(queue: string, items: readonly Completion[], view: TaskView): Promise<ItemOutcome[]> {
    const parts = await this.directory.of(queue);
    if (parts.addresses.length === 1) return this.store.complete(queue, items, view);
    // One script per partition for the items whose first guess is right; the others look further one by one.
    const byAddress = new Map<string, number[]>();
    for (const [i, item] of items.entries()) {
      const address = parts.addresses[this.likeliest(item.id, parts.addresses.length)] ?? queue;
      byAddress.set(address, [...(byAddress.get(address) ?? []), i]);
    }
    const results: ItemOutcome[] = new Array<ItemOutcome>(items.length);
    await Promise.all(
      [...byAddress].map(async ([address, indexes]) => {
        const outcomes = await this.store.complete(address, indexes.map((i) => items[i] as Completion), view);
        indexes.forEach((i, n) => {
          results[i] = outcomes[n] ?? { error: new BatonError('NOT_FOUND', 'no outcome') };
        });
      }),
    );
    await Promise.all(
      results.map(async (result, i) => {
        const item = items[i];
        if (!item || !('error' in result) || !isNotFound(result.error)) return;
        try {
          const [outcome] = await this.onTask(queue, item.id, async (address) => {
            const [again] = await this.store.complete(address, [item], view);
            if (again && 'error' in again) throw again.error;
            return [again];
          });
          if (outcome) results[i] = outcome;
        } catch (error) {
          if (error instanceof BatonError) results[i] = { error };
          else throw error;
        }
      }),
    );
    return results;
  }

  fail(queue: string, id: string, leaseToken: string, failure: FailureReport): Promise<FailOutcome> {
    return this.onTask(queue, id, (address) => this.store.fail(address, id, leaseToken, failure));
  }

  release(queue: string, id: string, leaseToken: string): Promise<Task> {
    return this.onTask(queue, id, (address) => this.store.release(address, id, leaseToken));
  }

  cancel(queue: string, id: string): Promise<Task> {
    return this.onTask(queue, id, (address) => this.store.cancel(address, id));
  }

  retry(queue: string, id: string): Promise<Task> {
    return this.onTask(queue, id, (address) => this.store.retry(address, id));
  }

  /**
   * Runs a per-task call on the partitions that may hold the task, most likely first, until one has it (a call that
   * finds no such task answers undefined or NOT_FOUND). When none has it, the queue's partitions are read again:
   * another replica may have raised the count.
   */
  async onTask<T>(queue: string, id: string, call: (address: string) => Promise<T>): Promise<T> {
    const tried = new Set<string>();
    let missing: BatonError | undefined;
    let missed: T | undefined;
    for (const fresh of [false, true]) {
      const parts = fresh ? await this.directory.fresh(queue) : await this.directory.of(queue);
      if (fresh && parts.addresses.length === 1 && tried.has(queue)) break;
      for (const address of this.candidates(queue, id, parts)) {
        if (tried.has(address)) continue;
        tried.add(address);
        try {
          const outcome = await call(address);
          if (outcome !== undefined) return outcome;
          missed = outcome;
        } catch (error) {
          if (!(error instanceof BatonError) || !isNotFound(error)) throw error;
          missing ??= error;
        }
      }
    }
    if (missing !== undefined) throw missing;
    return missed as T;
  }

  /** The partition holding the task with this id, if any holds it. */
  private async where(queue: string, id: string): Promise<string | undefined> {
    const parts = await this.directory.of(queue);
    for (const address of this.candidates(queue, id, parts)) {
      if ((await this.store.get(address, id)) !== undefined) return address;
    }
    return undefined;
  }

  /** The partition most likely to hold the task with this id: the first of candidates(), without the rest. */
  private likeliest(id: string, count: number): number {
    const named = partitionOfId(id);
    if (named !== undefined && named < count) return named;
    return PLAIN_ULID.test(id) ? 0 : partitionOfKey(id, count);
  }

  /**
   * The partitions that may hold the task with this id, most likely first: the one its id names, then where its id
   * hashes under each count the queue has had (newest first), then every other one (a task placed by a key).
   */
  private candidates(queue: string, id: string, parts: Partitioning): string[] {
    const { addresses } = parts;
    if (addresses.length === 1) return [queue];
    const order: number[] = [];
    const add = (p: number): void => {
      if (p < addresses.length && !order.includes(p)) order.push(p);
    };
    const named = partitionOfId(id);
    if (named !== undefined) add(named);
    else if (PLAIN_ULID.test(id)) add(0);
    add(partitionOfKey(id, addresses.length));
    for (const count of [...parts.history].reverse()) add(partitionOfKey(id, count));
    for (let p = 0; p < addresses.length; p++) add(p);
    return order.map((p) => addresses[p] ?? queue);
  }

  /**
   * Groups a submit's tasks by partition (see partitions.ts for the rules), renaming generated ids for their
   * partition. A caller's id placed by its hash goes where an older count placed it, if it is stored there, so a
   * resubmit after a count change finds the first submit.
   */
  private async place(queue: string, parts: Partitioning, tasks: NewTask[]): Promise<{ address: string; items: { index: number; task: NewTask }[] }[]> {
    const roundRobin = this.turn(queue).submit++ % parts.addresses.length;
    const groups = new Map<string, { index: number; task: NewTask }[]>();
    const add = (address: string, index: number, task: NewTask): void => {
      const group = groups.get(address);
      if (group) group.push({ index, task });
      else groups.set(address, [{ index, task }]);
    };
    const lookups: Promise<void>[] = [];
    tasks.forEach((task, index) => {
      const partition = this.placeOne(task, parts, roundRobin);
      const address = parts.addresses[partition] ?? queue;
      if (task.generatedId) {
        add(address, index, partition === 0 ? task : { ...task, id: idInPartition(task.id, partition) });
      } else if (parts.history.length > 1 && !task.concurrencyKey && !task.unique && !task.partitionKey) {
        lookups.push(
          this.olderHome(queue, task.id, parts, address).then((home) => {
            add(home ?? address, index, task);
          }),
        );
      } else {
        add(address, index, task);
      }
    });
    if (lookups.length === 0) return [...groups].map(([address, items]) => ({ address, items }));
    await Promise.all(lookups);
    return [...groups].map(([address, items]) => ({ address, items: items.sort((a, b) => a.index - b.index) }));
  }

  private placeOne(task: NewTask, parts: Partitioning, roundRobin: number): number {
    const count = parts.addresses.length;
    const key = task.concurrencyKey ?? task.unique?.key ?? task.partitionKey;
    if (key !== undefined) return partitionOfKey(key, count);
    if (task.generatedId) return roundRobin;
    const named = partitionOfId(task.id);
    return named !== undefined && named < count ? named : partitionOfKey(task.id, count);
  }

  /** Where an older count placed this id, when the task is stored there. */
  private async olderHome(queue: string, id: string, parts: Partitioning, current: string): Promise<string | undefined> {
    const older = new Set(parts.history.slice(0, -1).map((count) => parts.addresses[partitionOfKey(id, count)] ?? queue));
    older.delete(current);
    for (const address of older) if ((await this.store.get(address, id)) !== undefined) return address;
    return undefined;
  }

  private merge(
    size: number,
    outcomes: { items: { index: number; task: NewTask }[]; outcome: SubmitOutcome | undefined }[],
  ): SubmitOutcome {
    const results = new Array<SubmittedItem>(size);
    let due: number | undefined;
    for (const { items, outcome } of outcomes) {
      items.forEach(({ index }, n) => {
        const result = outcome?.results[n];
        if (result) results[index] = result;
      });
      due = minDue(due, outcome?.due);
    }
    return due === undefined ? { results } : { results, due };
  }

  private turn(queue: string): { submit: number; claim: number } {
    let turn = this.turns.get(queue);
    if (!turn) {
      turn = { submit: Math.floor(Math.random() * 1024), claim: Math.floor(Math.random() * 1024) };
      if (this.turns.size >= 100_000) this.turns.clear();
      this.turns.set(queue, turn);
    }
    return turn;
  }
}
