import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatonClient } from '../../clients/typescript/src/client.js';
import { isStatus } from '../../clients/typescript/src/errors.js';
import * as grpc from '@grpc/grpc-js';
import { BatonReplica, REPLICA_ACKS } from './baton.js';
import { check } from './checker.js';
import type { FinalTask, Findings } from './checker.js';
import { ChaosCluster } from './cluster.js';
import type { AofMode } from './cluster.js';
import { readHistory } from './history.js';
import type { HistoryEvent } from './history.js';
import { Producer, WorkerProcess } from './load.js';

/** Tasks per second the producer offers: bounded, well under what the cluster takes, on a shared 2-core machine. */
export const RATE_PER_SECOND = 100;
/** The workers' lease: short, so that leases run out within a scenario. */
export const LEASE_MS = 2_000;
/** Load before the fault, so that the rate before it is known. */
const WARMUP_MS = 2_500;
/** Load after the fault is healed, so that recovery can be seen. */
const AFTER_HEAL_MS = 3_000;
/** How long, after the load stops, acknowledged tasks may take to finish before they count as stuck. */
const DRAIN_MS = 25_000;

/**
 * Strict: every scenario asserts zero loss and zero INTERNAL, the paused master's too. On with replicated
 * acknowledgements (the default), off at BATON_CHAOS_REPLICA_ACKS=0, where a paused master loses acknowledged
 * writes; BATON_CHAOS_STRICT=1 or 0 says otherwise.
 */
export const STRICT = (process.env.BATON_CHAOS_STRICT ?? (REPLICA_ACKS > 0 ? '1' : '0')) === '1';

export interface ScenarioContext {
  readonly cluster: ChaosCluster;
  /** Two Baton replicas; every client names both (gRPC pick_first), in either order. */
  readonly batons: readonly BatonReplica[];
  /** session-a, session-b (createWorker on WorkTasks), unary-a, unary-b (ClaimTasks / CompleteTask). */
  readonly workers: readonly WorkerProcess[];
  readonly queues: readonly string[];
  /** A queue on `hotMaster`, the master that master faults hit. */
  readonly hotQueue: string;
  readonly hotMaster: number;
  /** Writes a line into the history (and the test's output). */
  note(what: string): void;
}

export interface Scenario {
  name: string;
  /** Run every Redis node with the AOF on (default off, as in tools/redis). */
  aof?: AofMode;
  /** Before the load starts (e.g. turn AOF on). */
  prepare?(ctx: ScenarioContext): Promise<void>;
  /** Injects the fault mid-load, waits, heals it, and returns once the system may recover. */
  fault(ctx: ScenarioContext): Promise<void>;
  /**
   * One producer per master, each submitting only to that master's queues (as independent producers would), so a
   * master that stalls does not slow the submits to the others. Default: one producer for every queue.
   */
  producerPerMaster?: boolean;
  /** Measure the completion rate of the queues on the other masters than the hot one, before and during the fault. */
  measureSpared?: boolean;
}

export interface ScenarioResult {
  name: string;
  date: string;
  findings: Findings;
  durationMs: number;
}

/** Queue names for a run: two on each master, so a master fault hits some queues and spares others. */
async function pickQueues(
  cluster: ChaosCluster,
  prefix: string,
): Promise<{ queues: string[]; hotQueue: string; hotMaster: number; perMaster: Map<number, string[]> }> {
  const { masters } = await cluster.topology();
  const perMaster = new Map<number, string[]>(masters.map((m) => [m.port, []]));
  for (let i = 0; [...perMaster.values()].some((q) => q.length < 2); i++) {
    const queue = `${prefix}-q${i}`;
    const port = await cluster.masterOf(queue);
    const list = perMaster.get(port);
    if (list && list.length < 2) list.push(queue);
  }
  const hotMaster = cluster.nodes.find((n) => n.startedAs === 'master')?.port ?? 0;
  const hot = perMaster.get(hotMaster) ?? [];
  return { queues: [...perMaster.values()].flat(), hotQueue: hot[0] ?? '', hotMaster, perMaster };
}

async function drained(client: BatonClient, queues: readonly string[]): Promise<boolean> {
  try {
    const replies = await Promise.all(queues.map((queue) => client.getQueue({ queue }, { timeoutMs: 2_000 })));
    return replies.every(({ queue }) => {
      const c = queue?.counts;
      return c !== undefined && c.pending + c.active + c.scheduled === 0;
    });
  } catch {
    return false;
  }
}

function finalTask(task: { state: string; attempt: number; errors: { type: string; attempt: number; message: string }[] }): FinalTask {
  const expired = task.errors.filter((e) => e.type === 'LEASE_EXPIRED').map(({ attempt, message }) => ({ attempt, message }));
  return { state: task.state, attempt: task.attempt, expired };
}

/** Every task of the run as the API shows it at the end: ListTasks per queue, then GetTask for any acknowledged one not listed. */
async function finalState(client: BatonClient, queues: readonly string[], acked: ReadonlyMap<string, string>): Promise<Map<string, FinalTask | null>> {
  const final = new Map<string, FinalTask | null>();
  for (const queue of queues) {
    let page_token = '';
    do {
      const reply = await client.listTasks({ queue, page_size: 1000, page_token }, { timeoutMs: 10_000 });
      for (const task of reply.tasks) final.set(task.id, finalTask(task));
      page_token = reply.next_page_token;
    } while (page_token !== '');
  }
  for (const [id, queue] of acked) {
    if (final.has(id)) continue;
    try {
      const reply = await client.getTask({ queue, task_id: id }, { timeoutMs: 5_000 });
      final.set(id, reply.task ? finalTask(reply.task) : null);
    } catch (error) {
      if (!isStatus(error, grpc.status.NOT_FOUND)) throw error;
      final.set(id, null);
    }
  }
  return final;
}

const results: ScenarioResult[] = [];

/**
 * Runs one scenario from scratch: a 3+3 cluster, two Baton replicas, four workers and the producer; the fault at
 * WARMUP_MS into the load; load for AFTER_HEAL_MS after it heals; then the drain, the final state and the checker.
 */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const began = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'baton-chaos-'));
  const history: HistoryEvent[] = [];
  const note = (what: string): void => {
    history.push({ op: 'note', t: Date.now(), what });
  };
  const cluster = await ChaosCluster.start(scenario.aof);
  const batons: BatonReplica[] = [];
  const workers: WorkerProcess[] = [];
  let client: BatonClient | undefined;
  let keep = false;
  try {
    batons.push(...(await Promise.all([BatonReplica.start(cluster.seeds), BatonReplica.start(cluster.seeds)])));
    const [a, b] = batons.map((replica) => `127.0.0.1:${replica.port}`);
    const targets = [`ipv4:${a},${b}`, `ipv4:${b},${a}`];
    const prefix = scenario.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    const { queues, hotQueue, hotMaster, perMaster } = await pickQueues(cluster, prefix);
    const spec = [
      ['session-a', 'session', 0],
      ['session-b', 'session', 1],
      ['unary-a', 'unary', 1],
      ['unary-b', 'unary', 0],
    ] as const;
    for (const [name, mode, target] of spec) {
      workers.push(new WorkerProcess(name, { mode, target: targets[target] ?? '', queues: [...queues], leaseMs: LEASE_MS }, dir));
    }
    const ctx: ScenarioContext = { cluster, batons, workers, queues, hotQueue, hotMaster, note };
    await scenario.prepare?.(ctx);
    await Promise.all(workers.map((w) => w.start()));
    client = new BatonClient(targets[0] ?? '');
    const record = (event: HistoryEvent): void => {
      history.push(event);
    };
    const lanes = scenario.producerPerMaster ? [...perMaster.values()] : [queues];
    const producers = lanes.map(
      (lane, i) => new Producer(client as BatonClient, lane, lanes.length > 1 ? `${prefix}-p${i}` : prefix, (RATE_PER_SECOND * lane.length) / queues.length, record),
    );

    const loadStart = Date.now();
    for (const producer of producers) producer.start();
    note('load started');
    await sleep(WARMUP_MS);
    const faultAt = Date.now();
    note('fault');
    await scenario.fault(ctx);
    const healedAt = Date.now();
    note('healed');
    await sleep(AFTER_HEAL_MS);
    for (const producer of producers) producer.stop();
    const loadStop = Date.now();
    note('load stopped');
    const unsent = (await Promise.all(producers.map((producer) => producer.settle(15_000)))).reduce((sum, left) => sum + left, 0);
    const acked = new Map(producers.flatMap((producer) => [...producer.acked]));
    const drainUntil = Date.now() + DRAIN_MS;
    while (Date.now() < drainUntil && !(await drained(client, queues))) await sleep(250);
    note('drained');
    await Promise.all(workers.map((w) => w.stop()));
    const final = await finalState(client, queues, acked);

    for (const worker of workers) for (const path of worker.historyPaths) history.push(...readHistory(path));
    history.sort((x, y) => x.t - y.t);
    const findings = check({
      history,
      acked,
      final,
      leaseMs: LEASE_MS,
      loadStart,
      faultAt,
      loadStop,
      internalLogged: batons.reduce((sum, replica) => sum + replica.log.unexpected, 0),
      ...(scenario.measureSpared
        ? { spared: { queues: new Set(queues.filter((queue) => !(perMaster.get(hotMaster) ?? []).includes(queue))), healedAt } }
        : {}),
    });
    const result: ScenarioResult = { name: scenario.name, date: new Date().toISOString(), findings, durationMs: Date.now() - began };
    results.push(result);
    report(result, unsent, batons, history);
    keep = findings.examples.length > 0 || findings.internal > 0 || process.env.BATON_CHAOS_KEEP === "1";
    if (keep) {
      writeFileSync(join(dir, 'history.jsonl'), history.map((e) => JSON.stringify(e)).join('\n'));
      process.stdout.write(`  full history: ${join(dir, 'history.jsonl')}\n`);
    }
    if (process.env.BATON_CHAOS_RESULTS) appendFileSync(process.env.BATON_CHAOS_RESULTS, `${JSON.stringify({ ...result, findings: { ...findings, examples: findings.examples.length } })}\n`);
    return result;
  } finally {
    client?.close();
    await Promise.all(workers.map((w) => w.stop(1_000)));
    await Promise.all(batons.map((replica) => replica.stop('SIGKILL')));
    await cluster.stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

export const TABLE_HEADER = ['scenario', 'acked', 'lost', 'lost-done', 'duplicated', 'stale-accepted', 'double-leased', 'stuck', 'stranded', 'INTERNAL', 'recovery ms'];

export function tableRow(r: ScenarioResult): string[] {
  const f = r.findings;
  const recovery = f.recoveryMs === null ? 'not recovered' : String(f.recoveryMs);
  const internal = f.internal === 0 && f.internalLogged === 0 ? '0' : `${f.internal} (${f.internalLogged} logged)`;
  return [r.name, f.acked, f.lost, f.lostCompletion, f.duplicated, f.staleAccepted, f.doubleLeased, f.stuck, f.stranded, internal, recovery].map(String);
}

export function markdownTable(rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(TABLE_HEADER), line(TABLE_HEADER.map(() => '---')), ...rows.map(line)].join('\n');
}

function report(result: ScenarioResult, unsent: number, batons: readonly BatonReplica[], history: readonly HistoryEvent[]): void {
  const f = result.findings;
  const lines = [
    '',
    markdownTable([tableRow(result)]),
    `  baseline ${f.baselinePerSecond.toFixed(0)} completions/s; ${(result.durationMs / 1000).toFixed(1)} s; ${unsent} submits never acknowledged; ` +
      `${f.releasedTasks} tasks leased more than once; ${f.refusedCompletions} completions refused; ${f.unknownOutcomes} calls with unknown outcome`,
  ];
  if (f.sparedRate) {
    lines.push(`  other masters' queues: ${f.sparedRate.before.toFixed(1)} completions/s before the fault, ${f.sparedRate.during.toFixed(1)} during it`);
  }
  const start = history[0]?.t ?? 0;
  const notes = history.flatMap((e) => (e.op === 'note' ? [`${e.what} +${e.t - start}ms`] : []));
  lines.push(`  timeline: ${notes.join(', ')}`);
  for (const [i, replica] of batons.entries()) {
    const log = replica.log;
    if (log.errors + log.warnings + log.stderr > 0) {
      lines.push(`  baton ${i}: ${log.errors} error lines (${log.unexpected} unexpected), ${log.warnings} warnings, ${log.stderr} lines on stderr`);
    }
    for (const sample of log.samples.slice(0, 2)) lines.push(`    ${sample}`);
  }
  for (const example of f.examples) {
    lines.push(`  ${example.kind}: task ${example.task}`);
    for (const event of example.events.slice(0, 12)) lines.push(`    ${JSON.stringify(event)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Every scenario run by this process so far, as one table (printed at the end of a test file). */
export function summary(): string {
  return markdownTable(results.map(tableRow));
}

/** What Baton guarantees today under this fault: nothing lost, done twice, accepted stale or leased twice. */
export function assertSafe(result: ScenarioResult): void {
  const f = result.findings;
  const explain = (): string => f.examples.map((e) => `${e.kind} ${e.task}:\n  ${e.events.map((x) => JSON.stringify(x)).join('\n  ')}`).join('\n');
  assert.ok(f.acked > 0, 'the producer got submits acknowledged');
  assert.deepEqual(
    { lost: f.lost, lostCompletion: f.lostCompletion, duplicated: f.duplicated, staleAccepted: f.staleAccepted, doubleLeased: f.doubleLeased, stuck: f.stuck },
    { lost: 0, lostCompletion: 0, duplicated: 0, staleAccepted: 0, doubleLeased: 0, stuck: 0 },
    explain(),
  );
  if (STRICT) assert.equal(f.internal + f.internalLogged, 0, 'no call answered INTERNAL');
}

/**
 * For the faults Baton survives only with replicated acknowledgements (a replaced paused master): the checker ran
 * and its findings are reported; in strict mode (the default at N=1), the same guarantees as assertSafe.
 */
export function assertReported(result: ScenarioResult): void {
  const f = result.findings;
  assert.ok(f.acked > 0, 'the producer got submits acknowledged');
  const total = f.lost + f.lostCompletion + f.duplicated + f.staleAccepted + f.doubleLeased + f.stuck;
  assert.equal(f.examples.length > 0, total > 0, 'every finding comes with its history');
  if (STRICT) assertSafe(result);
}

/**
 * With replicated acknowledgements (whatever BATON_CHAOS_STRICT says), a lease lost with a failover never lets two
 * workers both complete a task: a worker receives only leases a replica has, so the promoted replica knows every
 * lease a worker holds, and refuses every token but the current one.
 */
export function assertLeasesHeldOnce(result: ScenarioResult): void {
  if (REPLICA_ACKS === 0) return;
  const f = result.findings;
  assert.deepEqual(
    { duplicated: f.duplicated, staleAccepted: f.staleAccepted, doubleLeased: f.doubleLeased },
    { duplicated: 0, staleAccepted: 0, doubleLeased: 0 },
    'no task completed under two leases, no stale completion accepted, no task leased twice at once',
  );
}
