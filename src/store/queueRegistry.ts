import type { RedisCalls } from './redisCalls.js';
import { UnregisteredQueueError } from './redisErrors.js';
import { asNumber } from './taskCodec.js';
import type { Reply } from './taskCodec.js';

/** The most queues there may be unless configured otherwise (`--max-queues`). */
export const DEFAULT_MAX_QUEUES = 10_000;

/** A write that creates a queue's data, told whether its queue was just registered ('1') or earlier ('0'). */
export type RegisteredWrite = (registration: '0' | '1') => Promise<Reply>;

/**
 * The set of known queues, bounded in size: a queue is registered before its first task or setting is written, and
 * one more than `maxQueues` is refused (RESOURCE_EXHAUSTED) before anything is stored. A replica remembers what it
 * registered, so a busy queue costs no registry round trip; the queue's own slot tells when that memory is stale
 * (see lua/includes/registration.lua).
 */
export class QueueRegistry {
  private readonly registered = new Map<string, Promise<void>>();

  constructor(
    private readonly redis: RedisCalls,
    readonly maxQueues = DEFAULT_MAX_QUEUES,
  ) {}

  /** Registers the queue in the set of known queues, once per process unless forgotten. */
  register(queue: string): Promise<void> {
    let registration = this.registered.get(queue);
    if (!registration) {
      // Shared, so submits that wait for it go on in the order they came: a stream's submits keep their order.
      registration = this.redis
        .write(
          'registerQueue',
          queue,
          '',
          (target, keys, deadline) => target.batonRegisterQueueBuffer(...keys, queue, this.maxQueues, deadline),
          [this.redis.keys.queues],
        )
        .then(() => undefined);
      this.registered.set(queue, registration);
      registration.catch(() => this.registered.delete(queue));
    }
    return registration;
  }

  /**
   * Runs a write that creates the queue's data, registering the queue first unless this replica did so already.
   * When the queue was deleted since, the write changes nothing and says so; the queue is then registered again
   * (within the limit) and the write repeated.
   */
  async write(queue: string, run: RegisteredWrite): Promise<Reply> {
    if (this.registered.has(queue)) {
      try {
        await this.registered.get(queue);
        return await run('0');
      } catch (error) {
        if (!(error instanceof UnregisteredQueueError)) throw error;
        this.forget(queue);
      }
    }
    await this.register(queue);
    return run('1');
  }

  /** Removes the queue from the set of known queues (after its keys are deleted). */
  async unregister(queue: string): Promise<boolean> {
    this.forget(queue);
    const removed = await this.redis.write('unregisterQueue', queue, '', (target, keys) => target.srem(keys[0] ?? this.redis.keys.queues, queue), [
      this.redis.keys.queues,
    ]);
    return asNumber(removed) === 1;
  }

  forget(queue: string): void {
    this.registered.delete(queue);
  }
}
