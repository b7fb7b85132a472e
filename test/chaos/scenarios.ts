import { setTimeout as sleep } from 'node:timers/promises';
import { onNode } from './cluster.js';
import { LEASE_MS } from './harness.js';
import type { Scenario } from './harness.js';

/** How long a paused process stays paused: past the lease (workers) or past cluster-node-timeout 1000 (Redis). */
const PAUSE_MS = 3_000;

const worker = (ctx: Parameters<Scenario['fault']>[0], i: number): NonNullable<(typeof ctx.workers)[number]> => {
  const found = ctx.workers[i];
  if (!found) throw new Error(`no worker ${i}`);
  return found;
};

const baton = (ctx: Parameters<Scenario['fault']>[0], i: number): NonNullable<(typeof ctx.batons)[number]> => {
  const found = ctx.batons[i];
  if (!found) throw new Error(`no baton ${i}`);
  return found;
};

// ---- Faults of Baton's own processes and of its clients ----

export const workerKill: Scenario = {
  name: 'worker kill -9',
  async fault(ctx) {
    // A session worker and a unary worker die holding leases; new ones take their place a second later.
    worker(ctx, 0).signal('SIGKILL');
    worker(ctx, 2).signal('SIGKILL');
    await sleep(1_000);
    await Promise.all([worker(ctx, 0).start(), worker(ctx, 2).start()]);
  },
};

export const workerPause: Scenario = {
  name: 'worker SIGSTOP past the lease',
  async fault(ctx) {
    // Frozen past their leases: their tasks go to others; once resumed, every old token must be refused.
    worker(ctx, 0).signal('SIGSTOP');
    worker(ctx, 2).signal('SIGSTOP');
    await sleep(LEASE_MS + 1_500);
    worker(ctx, 0).signal('SIGCONT');
    worker(ctx, 2).signal('SIGCONT');
  },
};

export const batonKill: Scenario = {
  name: 'Baton kill -9',
  async fault(ctx) {
    await baton(ctx, 0).stop('SIGKILL');
    await sleep(1_000);
    await baton(ctx, 0).restart();
  },
};

export const batonTerm: Scenario = {
  name: 'Baton SIGTERM',
  async fault(ctx) {
    await baton(ctx, 0).stop('SIGTERM'); // drains for up to its 3 s grace
    await sleep(500);
    await baton(ctx, 0).restart();
  },
};

// ---- Redis faults ----

/** Waits until the hot queue's slot is served by another master than the one the fault hit. */
async function waitForMasterChange(ctx: Parameters<Scenario['fault']>[0], timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await ctx.cluster.masterOf(ctx.hotQueue).catch(() => ctx.hotMaster)) === ctx.hotMaster) {
    if (Date.now() > until) throw new Error(`no failover within ${timeoutMs} ms`);
    await sleep(100);
  }
}

export const replicaKill: Scenario = {
  name: 'Redis replica kill',
  async fault(ctx) {
    const replica = await ctx.cluster.replicaOf(ctx.hotMaster);
    await ctx.cluster.kill(replica);
    await sleep(2_000);
    await ctx.cluster.restart(replica);
    await ctx.cluster.waitReplicasSynced();
  },
};

export const masterKill: Scenario = {
  name: 'master kill (failover)',
  async fault(ctx) {
    await ctx.cluster.kill(ctx.hotMaster);
    ctx.note('master killed');
    // Its replica is promoted after cluster-node-timeout. Restarting the master (empty: no persistence) before
    // that would bring it back as the master of its slots, and its replica would sync the emptiness.
    await waitForMasterChange(ctx);
    await ctx.cluster.waitOk();
    ctx.note('failed over');
    await ctx.cluster.restart(ctx.hotMaster); // comes back as a replica of the new master
    await ctx.cluster.waitReplicasSynced();
  },
};

export const manualFailover: Scenario = {
  name: 'CLUSTER FAILOVER',
  async fault(ctx) {
    const replica = await ctx.cluster.replicaOf(ctx.hotMaster);
    await onNode(replica, (r) => r.call('CLUSTER', 'FAILOVER'));
    await waitForMasterChange(ctx);
    await ctx.cluster.waitOk();
  },
};

export const masterPause: Scenario = {
  name: 'master SIGSTOP past node timeout',
  async fault(ctx) {
    // Its replica is promoted while it is frozen; resumed, it serves a moment as a master before it learns it was
    // replaced, then resyncs from the new master and drops what its replica never got.
    ctx.cluster.signal(ctx.hotMaster, 'SIGSTOP');
    await sleep(PAUSE_MS);
    ctx.cluster.signal(ctx.hotMaster, 'SIGCONT');
    await ctx.cluster.waitOk();
    await ctx.cluster.waitReplicasSynced();
  },
};

/** Longer than Baton's 5 s command timeout: calls to the frozen master time out, and claims learn to skip it. */
const FROZEN_MS = 6_000;

export const masterFrozen: Scenario = {
  name: 'frozen master, no failover',
  producerPerMaster: true,
  measureSpared: true,
  async prepare(ctx) {
    await ctx.cluster.preventFailover(ctx.hotMaster);
  },
  async fault(ctx) {
    // Frozen (a VM pause, a partition) with no replica to take over: its queues stop, the others must not.
    ctx.cluster.signal(ctx.hotMaster, 'SIGSTOP');
    await sleep(FROZEN_MS);
    ctx.cluster.signal(ctx.hotMaster, 'SIGCONT');
  },
};

export const reshard: Scenario = {
  name: 'reshard a busy slot',
  async fault(ctx) {
    const slot = await ctx.cluster.slotOf(ctx.hotQueue);
    const { masters } = await ctx.cluster.topology();
    const target = masters.find((m) => m.port !== ctx.hotMaster);
    if (!target) throw new Error('no other master');
    const keys = await ctx.cluster.moveSlot(slot, ctx.hotMaster, target.port);
    ctx.note(`moved slot ${slot} (${keys} keys) to ${target.port}`);
  },
};

export const allRedisDown: Scenario = {
  name: 'all Redis down and back (AOF always)',
  aof: 'always',
  async fault(ctx) {
    await Promise.all(ctx.cluster.nodes.map((n) => ctx.cluster.kill(n.port)));
    await sleep(PAUSE_MS);
    await Promise.all(ctx.cluster.nodes.map((n) => ctx.cluster.restart(n.port)));
    await ctx.cluster.waitOk(30_000);
  },
};

export const minReplicasReplicaKill: Scenario = {
  name: 'replica kill, min-replicas-to-write 1',
  async prepare(ctx) {
    await ctx.cluster.setMinReplicasToWrite(1);
  },
  async fault(ctx) {
    // The hot master refuses every write (NOREPLICAS) until its replica is back.
    const replica = await ctx.cluster.replicaOf(ctx.hotMaster);
    await ctx.cluster.kill(replica);
    await sleep(2_000);
    await ctx.cluster.restart(replica);
    await ctx.cluster.waitReplicasSynced();
  },
};

export const minReplicasMasterPause: Scenario = {
  name: 'master SIGSTOP, min-replicas-to-write 1',
  async prepare(ctx) {
    await ctx.cluster.setMinReplicasToWrite(1);
  },
  async fault(ctx) {
    ctx.cluster.signal(ctx.hotMaster, 'SIGSTOP');
    await sleep(PAUSE_MS);
    ctx.cluster.signal(ctx.hotMaster, 'SIGCONT');
    await ctx.cluster.waitOk();
    await ctx.cluster.waitReplicasSynced();
  },
};
