import type { HistoryEvent } from './history.js';

/** A task as the API showed it after the run, or null when GetTask said NOT_FOUND. */
export interface FinalTask {
  state: string;
  attempt: number;
  /** Attempts whose lease ran out (LEASE_EXPIRED in the task's errors), with the error's message (names the worker). */
  expired: { attempt: number; message: string }[];
}

export interface CheckInput {
  history: HistoryEvent[];
  /** task id → queue, for every acknowledged submit. */
  acked: ReadonlyMap<string, string>;
  final: ReadonlyMap<string, FinalTask | null>;
  leaseMs: number;
  loadStart: number;
  faultAt: number;
  loadStop: number;
  /** `unexpected error` lines the Baton replicas logged. */
  internalLogged: number;
  /** Queues a fault should spare, and when it ended: their completion rate before and during the fault is measured. */
  spared?: { queues: ReadonlySet<string>; healedAt: number };
}

export type FindingKind = 'lost' | 'lostCompletion' | 'duplicated' | 'staleAccepted' | 'doubleLeased' | 'stuck' | 'stranded';

export interface Findings {
  acked: number;
  /** Acknowledged submits whose task is missing at the end. */
  lost: number;
  /** Tasks with an accepted completion that was undone: not SUCCEEDED at the end, or leased again afterwards. */
  lostCompletion: number;
  /** Tasks with accepted completions under two or more leases. */
  duplicated: number;
  /** Accepted completions sent under a lease that was no longer the task's current one. */
  staleAccepted: number;
  /** Tasks leased again while an earlier lease was still valid and not given up. */
  doubleLeased: number;
  /** Acknowledged tasks present at the end but not SUCCEEDED (the drain waited for them). */
  stuck: number;
  /**
   * Tasks with a lease that ran out although no worker ever received it (an attempt with LEASE_EXPIRED and no lease
   * in the history): a lease granted by Redis that Baton neither delivered nor gave back.
   */
  stranded: number;
  /** Completions per second of the spared queues (CheckInput.spared) before the fault and during it. */
  sparedRate?: { before: number; during: number };
  /** Completions the server refused (old tokens after a pause, leases lost to a failover...). */
  refusedCompletions: number;
  /** Client operations whose outcome is unknown (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, ...). */
  unknownOutcomes: number;
  /** Tasks leased more than once. */
  releasedTasks: number;
  /** Calls (or batch items) answered INTERNAL, as the clients saw them. */
  internal: number;
  internalLogged: number;
  /** Completions per second before the fault. */
  baselinePerSecond: number;
  /** From the fault until the completion rate stayed above 80% of the baseline; null: not before the load stopped. */
  recoveryMs: number | null;
  /** The history of the first tasks of each finding, to show in a report. */
  examples: { kind: FindingKind; task: string; events: HistoryEvent[] }[];
}

type ItemEvent = Extract<HistoryEvent, { op: 'complete' | 'release' | 'fail' }>;

/** Server and client clocks are the same clock here; this absorbs rounding to ms. */
const TOLERANCE_MS = 5;
const BUCKET_MS = 500;

interface LeaseView {
  token: string;
  worker: string;
  attempt: number;
  /** Granted at (Redis time): expiry minus the lease duration. */
  start: number;
  /** Valid until, as far as the worker knows for sure (grant and accepted heartbeats). */
  expire: number;
  /** Valid until at most (a heartbeat with unknown outcome may have extended it). */
  expireUpper: number;
  /**
   * When its holder stopped believing in it: the first accepted completion, release or fail (sent time), or the
   * first one the server refused, or a refused heartbeat (answer time).
   */
  ended: number;
}

export function check(input: CheckInput): Findings {
  const byTask = new Map<string, HistoryEvent[]>();
  for (const event of input.history) {
    if (!('task' in event)) continue;
    let list = byTask.get(event.task);
    if (!list) byTask.set(event.task, (list = []));
    list.push(event);
  }
  const found = new Map<FindingKind, Set<string>>(
    (['lost', 'lostCompletion', 'duplicated', 'staleAccepted', 'doubleLeased', 'stuck', 'stranded'] as const).map((k) => [k, new Set<string>()]),
  );
  const flag = (kind: FindingKind, task: string): void => {
    found.get(kind)?.add(task);
  };
  let staleAccepted = 0;
  const firstDone: number[] = [];
  const sparedDone: number[] = [];

  for (const [task, events] of byTask) {
    const leases = new Map<string, LeaseView>();
    for (const e of events) {
      if (e.op === 'lease' && !leases.has(e.token)) {
        leases.set(e.token, {
          token: e.token,
          worker: e.worker,
          attempt: e.attempt,
          start: e.expire - input.leaseMs,
          expire: e.expire,
          expireUpper: e.expire,
          ended: Infinity,
        });
      }
    }
    for (const e of events) {
      const lease = 'token' in e ? leases.get(e.token) : undefined;
      if (!lease) continue;
      if ((e.op === 'heartbeat' || e.op === 'complete' || e.op === 'release' || e.op === 'fail') && e.outcome === 'refused') {
        lease.ended = Math.min(lease.ended, e.t);
      }
      if (e.op === 'heartbeat') {
        if (e.outcome === 'ok' && e.expire !== undefined) lease.expire = Math.max(lease.expire, e.expire);
        if (e.outcome !== 'refused') lease.expireUpper = Math.max(lease.expireUpper, e.expire ?? e.t + input.leaseMs);
      } else if ((e.op === 'complete' || e.op === 'release' || e.op === 'fail') && e.outcome === 'ok') {
        lease.ended = Math.min(lease.ended, e.sent);
      }
    }
    for (const lease of leases.values()) lease.expireUpper = Math.max(lease.expireUpper, lease.expire);
    const ordered = [...leases.values()].sort((a, b) => a.start - b.start);

    // Double-leased: a later lease granted while an earlier one was valid and not given up.
    for (const [i, a] of ordered.entries()) {
      for (const b of ordered.slice(i + 1)) {
        if (b.start < Math.min(a.expire, a.ended) - TOLERANCE_MS) flag('doubleLeased', task);
      }
    }

    const accepted = events.filter(
      (e): e is ItemEvent => e.op === 'complete' && e.outcome === 'ok',
    );
    const acceptedTokens = new Set(accepted.map((e) => e.token));
    if (acceptedTokens.size > 1) flag('duplicated', task);
    // Only the first accepted completion of a lease changed anything: a repeat of it (a retry) is answered OK too.
    const firstOfLease = new Map<string, ItemEvent>();
    for (const c of accepted) {
      const seen = firstOfLease.get(c.token);
      if (!seen || c.sent < seen.sent) firstOfLease.set(c.token, c);
    }
    for (const c of firstOfLease.values()) {
      const lease = leases.get(c.token);
      if (!lease) continue;
      // Stale: a newer lease was granted before this completion was sent, or it was sent after the lease ran out.
      const superseded = ordered.some((b) => b.token !== c.token && b.start > lease.start && b.start < c.sent - TOLERANCE_MS);
      const expired = c.sent > lease.expireUpper + TOLERANCE_MS;
      if (superseded || expired) {
        staleAccepted++;
        flag('staleAccepted', task);
      }
    }
    const leasedAttempts = new Set(ordered.map((lease) => lease.attempt));
    for (const { attempt } of input.final.get(task)?.expired ?? []) {
      if (!leasedAttempts.has(attempt)) flag('stranded', task);
    }
    const firstAccepted = accepted.reduce((min, e) => Math.min(min, e.t), Infinity);
    if (firstAccepted < Infinity) {
      firstDone.push(firstAccepted);
      if (input.spared?.queues.has(accepted[0]?.queue ?? '')) sparedDone.push(firstAccepted);
      const final = input.final.get(task);
      const leasedAfter = ordered.some((b) => b.start > firstAccepted + TOLERANCE_MS);
      if ((final && final.state !== 'TASK_STATE_SUCCEEDED') || leasedAfter) flag('lostCompletion', task);
    }
  }

  for (const task of input.acked.keys()) {
    const final = input.final.get(task);
    if (final === null || final === undefined) flag('lost', task);
    else if (final.state !== 'TASK_STATE_SUCCEEDED') flag('stuck', task);
  }

  let internal = 0;
  let refusedCompletions = 0;
  let unknownOutcomes = 0;
  for (const e of input.history) {
    if ('code' in e && e.code === 13) internal++;
    if (e.op === 'complete' && e.outcome === 'refused') refusedCompletions++;
    if (('outcome' in e && e.outcome === 'unknown') || e.op === 'error') unknownOutcomes++;
  }
  let released = 0;
  for (const events of byTask.values()) if (new Set(events.flatMap((e) => (e.op === 'lease' ? [e.token] : []))).size > 1) released++;

  // Recovery: completions per bucket after the fault against the rate before it.
  const baselineFrom = Math.max(input.loadStart + 1_000, input.faultAt - 2_000);
  const baselineCount = firstDone.filter((t) => t >= baselineFrom && t < input.faultAt).length;
  const baselinePerSecond = (baselineCount * 1000) / Math.max(1, input.faultAt - baselineFrom);
  const buckets = Math.floor((input.loadStop - input.faultAt) / BUCKET_MS);
  const counts = new Array<number>(buckets).fill(0);
  for (const t of firstDone) {
    const i = Math.floor((t - input.faultAt) / BUCKET_MS);
    if (i >= 0 && i < buckets) counts[i] = (counts[i] ?? 0) + 1;
  }
  let lastLow = -1;
  counts.forEach((count, i) => {
    if ((count * 1000) / BUCKET_MS < 0.8 * baselinePerSecond) lastLow = i;
  });
  const recoveryMs = lastLow === buckets - 1 ? null : (lastLow + 1) * BUCKET_MS;
  const perSecond = (from: number, to: number): number =>
    (sparedDone.filter((t) => t >= from && t < to).length * 1000) / Math.max(1, to - from);
  const sparedRate = input.spared && {
    before: perSecond(baselineFrom, input.faultAt),
    during: perSecond(input.faultAt, input.spared.healedAt),
  };

  const examples: Findings['examples'] = [];
  for (const [kind, tasks] of found) {
    for (const task of [...tasks].slice(0, 3)) {
      const events = byTask.get(task) ?? [];
      // A stranded lease is in no client's history: the task's error says which worker Redis leased it to.
      const expired = kind === 'stranded' ? (input.final.get(task)?.expired ?? []) : [];
      const notes = expired.map(({ attempt, message }): HistoryEvent => ({ op: 'note', t: 0, what: `attempt ${attempt}: ${message}` }));
      examples.push({ kind, task, events: [...events, ...notes] });
    }
  }
  const size = (kind: FindingKind): number => found.get(kind)?.size ?? 0;
  return {
    acked: input.acked.size,
    lost: size('lost'),
    lostCompletion: size('lostCompletion'),
    duplicated: size('duplicated'),
    staleAccepted,
    doubleLeased: size('doubleLeased'),
    stuck: size('stuck'),
    stranded: size('stranded'),
    ...(sparedRate ? { sparedRate } : {}),
    refusedCompletions,
    unknownOutcomes,
    releasedTasks: released,
    internal,
    internalLogged: input.internalLogged,
    baselinePerSecond,
    recoveryMs,
    examples,
  };
}
