import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startRedisCluster } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';
import { startRedisServer } from '../../tools/redis/local.js';
import { DEFAULT_KEYSPACE } from '../../src/store/keys.js';

/** One redis-server of a chaos cluster: the process changes when the node is restarted, the ports and files stay. */
export interface ChaosNode {
  readonly port: number;
  readonly busPort: number;
  /** Its role when the cluster was made (roles change with failovers: ask `topology()`). */
  readonly startedAs: 'master' | 'replica';
  process: ChildProcess;
}

/** Every redis-server a chaos cluster restarted, killed when this process exits however it exits. */
const restarted = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of restarted) child.kill('SIGKILL');
});

/** Runs `fn` on a fresh connection to one node (none is kept: nodes die and come back under a scenario). */
export async function onNode<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    connectTimeout: 1_000,
    commandTimeout: 5_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export type AofMode = 'no' | 'always' | 'everysec';

/** The nodes of a cluster share one directory: each keeps its AOF in a directory of its own. */
function aofArgs(aof: AofMode, port: number): string[] {
  return aof === 'no' ? [] : ['--appendonly', 'yes', '--appendfsync', aof, '--appenddirname', `aof-${port}`];
}

const alive = (node: ChaosNode): boolean => node.process.exitCode === null && node.process.signalCode === null;

/**
 * A 3-master + 3-replica Redis Cluster (`cluster-node-timeout 1000`, from tools/redis/cluster.ts) with what the
 * scenarios do to it: kill, pause and restart nodes, fail over, move a slot, turn AOF on.
 */
export class ChaosCluster {
  private constructor(
    private readonly aof: AofMode,
    private readonly redis: TestRedis,
    readonly nodes: ChaosNode[],
    private readonly dir: string,
  ) {}

  /** `aof`: run every node with the AOF on, fsynced as said (and restart it so). */
  static async start(aof: AofMode = 'no'): Promise<ChaosCluster> {
    const redis = await startRedisCluster(3, 1, { nodeArgs: (port) => aofArgs(aof, port) });
    const first = redis.masters[0];
    if (!first) throw new Error('no nodes');
    const [, dir = ''] = (await onNode(first.port, (r) => r.config('GET', 'dir'))) as string[];
    const nodes: ChaosNode[] = [
      ...redis.masters.map((n) => ({ port: n.port, busPort: n.busPort, startedAs: 'master' as const, process: n.process })),
      ...redis.replicas.map((n) => ({ port: n.port, busPort: n.busPort, startedAs: 'replica' as const, process: n.process })),
    ];
    // The tools' clients: one per node, never used here (nodes die under a scenario).
    for (const node of [...redis.masters, ...redis.replicas]) node.client.disconnect();
    return new ChaosCluster(aof, redis, nodes, dir);
  }

  /** Seed addresses for Baton: the three first masters (any one is enough for ioredis to find the rest). */
  get seeds(): string {
    return this.nodes
      .filter((n) => n.startedAs === 'master')
      .map((n) => `127.0.0.1:${n.port}`)
      .join(',');
  }

  node(port: number): ChaosNode {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no node on port ${port}`);
    return node;
  }

  /** The cluster as one live node sees it: the master of each slot range and the replicas of each master. */
  async topology(): Promise<{ masters: { port: number; id: string; slots: [number, number][] }[]; replicaOf: Map<number, number> }> {
    for (const node of this.nodes.filter(alive)) {
      try {
        const text = await onNode(node.port, (r) => r.call('CLUSTER', 'NODES') as Promise<string>);
        const lines = text.trim().split('\n').map((line) => line.split(' '));
        const portOf = new Map(lines.map(([id = '', address = '']) => [id, Number(address.split(':')[1]?.split('@')[0])]));
        const masters = lines
          .filter(([, , flags = '']) => flags.includes('master') && !flags.includes('fail'))
          .map(([id = '', , , , , , , , ...slots]) => ({
            port: portOf.get(id) ?? 0,
            id,
            slots: slots
              .filter((s) => !s.startsWith('['))
              .map((s) => {
                const [from = '0', to = from] = s.split('-');
                return [Number(from), Number(to)] as [number, number];
              }),
          }))
          .filter((m) => m.slots.length > 0);
        const replicaOf = new Map<number, number>();
        for (const [id = '', , flags = '', masterId = '-'] of lines) {
          if (flags.includes('slave') && masterId !== '-') replicaOf.set(portOf.get(id) ?? 0, portOf.get(masterId) ?? 0);
        }
        return { masters, replicaOf };
      } catch {
        // that node is down or paused: ask another
      }
    }
    throw new Error('no live node answered CLUSTER NODES');
  }

  /** The slot of a queue (all of its keys share one). */
  async slotOf(queue: string): Promise<number> {
    const [key = ''] = DEFAULT_KEYSPACE.queueKeys(queue);
    const node = this.nodes.find(alive);
    if (!node) throw new Error('no live node');
    return (await onNode(node.port, (r) => r.call('CLUSTER', 'KEYSLOT', key))) as number;
  }

  /** The port of the master serving `queue` now. */
  async masterOf(queue: string): Promise<number> {
    const slot = await this.slotOf(queue);
    const { masters } = await this.topology();
    const master = masters.find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!master) throw new Error(`no master serves slot ${slot}`);
    return master.port;
  }

  /** The port of a replica of the master on `masterPort`. */
  async replicaOf(masterPort: number): Promise<number> {
    const { replicaOf } = await this.topology();
    const found = [...replicaOf].find(([, master]) => master === masterPort);
    if (!found) throw new Error(`master ${masterPort} has no replica`);
    return found[0];
  }

  signal(port: number, signal: NodeJS.Signals): void {
    this.node(port).process.kill(signal);
  }

  async kill(port: number): Promise<void> {
    const child = this.node(port).process;
    if (!alive(this.node(port))) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts a killed node again on its ports, with its cluster config (and, with AOF on, its data) from disk. */
  async restart(port: number): Promise<void> {
    const node = this.node(port);
    if (alive(node)) throw new Error(`node ${port} is still running`);
    // The same arguments as tools/redis/cluster.ts gives a cluster node, and the AOF settings of this cluster.
    const args = [
      '--cluster-enabled', 'yes',
      '--cluster-port', String(node.busPort),
      '--cluster-config-file', `nodes-${port}.conf`,
      '--cluster-node-timeout', '1000',
      '--cluster-announce-ip', '127.0.0.1',
      '--repl-diskless-sync-delay', '0',
      '--cluster-replica-validity-factor', '0',
    ];
    const server = await startRedisServer(this.dir, port, [...args, ...aofArgs(this.aof, port)]);
    restarted.add(server.process);
    server.process.once('exit', () => restarted.delete(server.process));
    node.process = server.process;
  }

  /** Waits until every live node says cluster_state:ok and every slot is served. */
  async waitOk(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      'cluster_state:ok on every live node',
      async () => {
        const infos = await Promise.all(this.nodes.filter(alive).map((n) => onNode(n.port, (r) => r.call('CLUSTER', 'INFO') as Promise<string>)));
        return infos.every((info) => info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384'));
      },
      timeoutMs,
    );
  }

  /** Waits until every live replica is in sync with its master. */
  async waitReplicasSynced(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      'replicas in sync',
      async () => {
        const infos = await Promise.all(this.nodes.filter(alive).map((n) => onNode(n.port, (r) => r.info('replication'))));
        return infos.every((info) => info.includes('role:master') || info.includes('master_link_status:up'));
      },
      timeoutMs,
    );
  }

  /** Sets `min-replicas-to-write` on every node (0 turns it off). */
  /**
   * No failover for the master on `masterPort` (its replica never takes over), and the other masters keep serving
   * their slots while it is unreachable (without this, Redis Cluster stops every slot once one has no master).
   */
  async preventFailover(masterPort: number): Promise<void> {
    const replica = await this.replicaOf(masterPort);
    await onNode(replica, (r) => r.config('SET', 'cluster-replica-no-failover', 'yes'));
    await Promise.all(this.nodes.filter(alive).map((n) => onNode(n.port, (r) => r.config('SET', 'cluster-require-full-coverage', 'no'))));
  }

  async setMinReplicasToWrite(count: number): Promise<void> {
    await Promise.all(this.nodes.filter(alive).map((n) => onNode(n.port, (r) => r.config('SET', 'min-replicas-to-write', String(count)))));
  }

  /**
   * Moves `slot` from the master on `fromPort` to the one on `toPort` as redis-cli --cluster reshard does: IMPORTING
   * and MIGRATING, MIGRATE the keys, then SETSLOT NODE everywhere. Returns the number of keys moved. One key at a
   * time with `pauseMs` between keys, so that a queue's keys stay split between the two masters for a while (a
   * script on them gets TRYAGAIN, a key already moved gets ASK).
   */
  async moveSlot(slot: number, fromPort: number, toPort: number, pauseMs = 100): Promise<number> {
    const fromId = (await onNode(fromPort, (r) => r.call('CLUSTER', 'MYID'))) as string;
    const toId = (await onNode(toPort, (r) => r.call('CLUSTER', 'MYID'))) as string;
    await onNode(toPort, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId));
    await onNode(fromPort, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId));
    let moved = 0;
    await onNode(fromPort, async (r) => {
      for (;;) {
        const keys = (await r.call('CLUSTER', 'GETKEYSINSLOT', slot, 1)) as string[];
        if (keys.length === 0) break;
        await r.call('MIGRATE', '127.0.0.1', toPort, '', 0, 5_000, 'KEYS', ...keys);
        moved += keys.length;
        await sleep(pauseMs);
      }
    });
    const { masters } = await this.topology();
    // The new owner first, then the old one, then the others (as redis-cli does).
    const ports = [toPort, fromPort, ...masters.map((m) => m.port).filter((p) => p !== toPort && p !== fromPort)];
    for (const port of ports) await onNode(port, (r) => r.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId));
    return moved;
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) {
      node.process.kill('SIGCONT'); // a paused node would not die of SIGTERM
      if (alive(node)) await this.kill(node.port);
    }
    await this.redis.stop();
  }
}
