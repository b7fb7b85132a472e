import type { LogBounds, LogSpan, LogStore, StoredLogEntry, TaskLogPage } from '../domain/taskLogs.js';
import { decodeLog } from './logCodec.js';
import type { RedisClient } from './redis.js';
import type { RedisCalls } from './redisCalls.js';
import { asArray, asNumber, stateOf } from './taskCodec.js';

/** Task logs on Redis, in the `logs` hash of the task's queue (see lua/includes/logBlob.lua). */
export class RedisLogStore implements LogStore {
  private readonly client: RedisClient;

  constructor(
    private readonly redis: RedisCalls,
    /** Opens a separate connection for subscribing. */
    private readonly openSubscriber: () => RedisClient,
  ) {
    this.client = redis.client;
  }

  async append(queue: string, id: string, leaseToken: string, lines: readonly StoredLogEntry[], bounds: LogBounds): Promise<LogSpan> {
    const args = lines.flatMap((line) => [line.timeMs, line.truncated ? 1 : 0, line.text]);
    const reply = await this.redis.write('appendLogs', queue, id, (target, keys, deadline) =>
      target.batonAppendLogsBuffer(...keys, id, leaseToken, bounds.lines, bounds.bytes, lines.length, ...args, deadline),
    );
    const [lastPosition = 0, firstPosition = 0] = asArray(reply).map(asNumber);
    return { firstPosition, lastPosition };
  }

  async read(queue: string, id: string, after: number, limit: number): Promise<TaskLogPage | undefined> {
    const reply = await this.redis.script('taskLogs', queue, id, (keys) => this.client.batonTaskLogsBuffer(...keys, id, after));
    if (reply === null) return undefined;
    const [state, first, count, blob] = asArray(reply);
    const firstPosition = asNumber(first);
    const kept = asNumber(count);
    const span = kept === 0 ? { firstPosition: 0, lastPosition: 0 } : { firstPosition, lastPosition: firstPosition + kept - 1 };
    const lines = Buffer.isBuffer(blob) ? decodeLog(blob, after, limit).lines : [];
    return { state: stateOf(asNumber(state)), ...span, lines };
  }

  async subscribeToAppends(onAppend: (queue: string, id: string) => void): Promise<() => Promise<void>> {
    const subscriber = this.openSubscriber();
    subscriber.on('message', (_channel: string, message: string) => {
      const task = this.redis.keys.taskOfLogsMessage(message);
      if (task) onAppend(task.queue, task.id);
    });
    // Swallow connection errors here: ioredis reconnects and resubscribes on its own.
    subscriber.on('error', () => undefined);
    try {
      await subscriber.subscribe(this.redis.keys.logsChannel);
    } catch (error) {
      subscriber.disconnect();
      throw error;
    }
    return async () => {
      subscriber.disconnect();
      await Promise.resolve();
    };
  }
}
