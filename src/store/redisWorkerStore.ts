import type { QueueWorkerStats, WorkerDescription, WorkerRecord, WorkerStore } from '../domain/store.js';
import type { RedisClient } from './redis.js';
import type { RedisCalls } from './redisCalls.js';
import { asArray, asNumber, asString } from './taskCodec.js';

/** A registry entry as registerWorker.lua stores it (cjson turns an empty labels map into []). */
interface StoredWorker {
  hostname?: string;
  pid?: number;
  sdk_name?: string;
  sdk_version?: string;
  labels?: Record<string, string> | [];
  queues?: string[];
  first_seen: number;
}

/** The worker registry on Redis (its own slot), and each queue's counts per worker. */
export class RedisWorkerStore implements WorkerStore {
  private readonly client: RedisClient;

  constructor(private readonly redis: RedisCalls) {
    this.client = redis.client;
  }

  async registerWorker(
    workerId: string,
    description: WorkerDescription | undefined,
    queues: readonly string[],
  ): Promise<number> {
    const stored = description && {
      hostname: description.hostname,
      pid: description.pid,
      sdk_name: description.sdkName,
      sdk_version: description.sdkVersion,
      labels: description.labels,
    };
    const reply = await this.redis.write(
      'registerWorker',
      '',
      '',
      (target, keys, deadline) =>
        target.batonRegisterWorkerBuffer(
          ...keys,
          workerId,
          stored ? JSON.stringify(stored) : '',
          JSON.stringify(queues),
          deadline,
        ),
      this.redis.keys.registryKeys(),
    );
    return asNumber(reply);
  }

  async getWorker(workerId: string): Promise<WorkerRecord | undefined> {
    const [workersKey = '', seenKey = ''] = this.redis.keys.registryKeys();
    const [stored, seen] = await this.redis.run('getWorker', '', '', () =>
      Promise.all([this.client.hget(workersKey, workerId), this.client.zscore(seenKey, workerId)]),
    );
    return stored === null ? undefined : toRecord(workerId, stored, seen === null ? undefined : Number(seen));
  }

  async listWorkers(offset: number, limit: number): Promise<{ workers: WorkerRecord[]; more: boolean }> {
    const [workersKey = '', seenKey = ''] = this.redis.keys.registryKeys();
    // One more than asked: whether a next page exists.
    const seen = await this.redis.run('listWorkers', '', '', () =>
      this.client.zrevrange(seenKey, offset, offset + limit, 'WITHSCORES'),
    );
    const ids: string[] = [];
    const lastSeen: number[] = [];
    for (let i = 0; i + 1 < seen.length && ids.length < limit; i += 2) {
      ids.push(seen[i] ?? '');
      lastSeen.push(Number(seen[i + 1]));
    }
    const more = seen.length > 2 * limit;
    if (ids.length === 0) return { workers: [], more };
    const stored = await this.redis.run('listWorkers', '', '', () => this.client.hmget(workersKey, ...ids));
    const workers: WorkerRecord[] = [];
    stored.forEach((json, i) => {
      if (json !== null) workers.push(toRecord(ids[i] ?? '', json, lastSeen[i]));
    });
    return { workers, more };
  }

  async reapWorkers(retentionMs: number): Promise<number> {
    const reply = await this.redis.write(
      'reapWorkers',
      '',
      '',
      (target, keys, deadline) => target.batonReapWorkersBuffer(...keys, retentionMs, deadline),
      this.redis.keys.registryKeys(),
    );
    return asNumber(reply);
  }

  async workerStats(queue: string, workerIds: readonly string[]): Promise<QueueWorkerStats[]> {
    const flat = asArray(
      await this.redis.script('workerStats', queue, '', (keys) => this.client.batonWorkerStatsBuffer(...keys, ...workerIds)),
    );
    const stats: QueueWorkerStats[] = [];
    for (let i = 0; i + 4 < flat.length; i += 5) {
      stats.push({
        workerId: asString(flat[i]),
        lastSeen: asNumber(flat[i + 1]),
        completed: asNumber(flat[i + 2]),
        failed: asNumber(flat[i + 3]),
        active: asNumber(flat[i + 4]),
      });
    }
    return stats;
  }
}

function toRecord(workerId: string, json: string, lastSeen: number | undefined): WorkerRecord {
  const w = JSON.parse(json) as StoredWorker;
  const record: WorkerRecord = {
    workerId,
    queues: Array.isArray(w.queues) ? w.queues : [],
    firstSeen: w.first_seen,
    lastSeen: lastSeen ?? w.first_seen,
  };
  if (w.hostname !== undefined) record.hostname = w.hostname;
  if (w.pid !== undefined) record.pid = w.pid;
  if (w.sdk_name !== undefined) record.sdkName = w.sdk_name;
  if (w.sdk_version !== undefined) record.sdkVersion = w.sdk_version;
  if (w.labels !== undefined && !Array.isArray(w.labels)) record.labels = w.labels;
  return record;
}
