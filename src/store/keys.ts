/**
 * Redis key names. Each queue is one partition whose keys share the hash tag {q:<queue>:0}, so every script
 * runs on one cluster slot. The trailing partition number leaves room to spread one queue over several slots.
 */
const PREFIX = 'baton';

/** The keyset every lifecycle script receives as KEYS, in this order (see lua/includes/queue.lua). */
export function queueKeys(queue: string): string[] {
  const base = `${PREFIX}:{q:${queue}:0}`;
  return [
    `${base}:tasks`,
    `${base}:pending`,
    `${base}:scheduled`,
    `${base}:active`,
    `${base}:deadlines`,
    `${base}:done`,
    `${base}:index`,
    `${base}:meta`,
    `${base}:completed`,
    `${base}:workers`,
    `${base}:events`,
  ];
}
export const QUEUE_KEY_COUNT = 11;

/** The queue's event stream (the last key of its keyset). */
export function eventsKey(queue: string): string {
  return `${PREFIX}:{q:${queue}:0}:events`;
}

/** The worker registry: its own slot, written once per worker per second at most by each replica. */
export function registryKeys(): string[] {
  return [`${PREFIX}:{w}:workers`, `${PREFIX}:{w}:seen`];
}
export const REGISTRY_KEY_COUNT = 2;

/** Names of all queues ever used (its own slot; written once per queue per process). */
export const QUEUES_KEY = `${PREFIX}:queues`;

/** Scripts publish a queue's tasks key here when tasks may have become claimable. */
export const WAKE_CHANNEL = `${PREFIX}:wake`;

const TASKS_KEY_PATTERN = /^baton:\{q:(.+):0\}:tasks$/;

export function queueOfTasksKey(key: string): string | undefined {
  return TASKS_KEY_PATTERN.exec(key)?.[1];
}
