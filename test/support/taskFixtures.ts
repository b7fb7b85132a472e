/** Two domain tasks for codec tests: one just submitted, and one with every field set, at its limits. */
import type { Task } from '../../src/domain/task.js';

export const freshTask: Task = {
  queue: 'emails',
  id: '01JABCDEFGHJKMNPQRSTVWXYZ0',
  state: 'PENDING',
  metadata: {},
  priority: 0,
  attempt: 0,
  maxAttempts: 5,
  createTime: 1_763_824_000_123,
  updateTime: 1_763_824_000_123,
  scheduleTime: 1_763_824_000_123,
  errors: [],
  cancelRequested: false,
  leaseDurationMs: 30_000,
  retryPolicy: { initialBackoffMs: 1_000, maxBackoffMs: 3_600_000, multiplier: 2, jitter: 0 },
  type: '',
};

export const busyTask: Task = {
  ...freshTask,
  queue: 'rénders',
  state: 'ACTIVE',
  payload: Buffer.alloc(70_000, 7),
  metadata: { tenant: 'acme', 'naïve key': 'välue ✓', empty: '' },
  priority: -9,
  attempt: 3,
  maxAttempts: 1000,
  startTime: 1_763_824_001_999,
  expireTime: 1_763_900_000_000,
  lease: { workerId: 'w'.repeat(128), expireTime: 1_763_824_031_999 },
  progress: { current: -(2 ** 40), total: 2 ** 52, message: 'half' },
  result: Buffer.from('partial'),
  errors: [
    { type: 'LEASE_EXPIRED', message: 'lease of worker w expired', details: '', attempt: 1, time: 1_763_824_000_500 },
    { type: 'Boom', message: 'x'.repeat(300), details: 'stack', attempt: 2, time: 1_763_824_001_000 },
  ],
  cancelRequested: true,
  leaseDurationMs: 86_400_000,
  retryPolicy: { initialBackoffMs: 250, maxBackoffMs: 604_800_000, multiplier: 1.5, jitter: 0.25 },
  type: 'x'.repeat(128),
  traceContext: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' },
};
