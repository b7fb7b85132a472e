import { TaskState } from '../contract.js';
import type { Queue, QueueSettings, RateLimit, Task } from '../contract.js';
import { printable, UsageError } from './command.js';

const STATE_PREFIX = 'TASK_STATE_';
const DURATION_FIELDS = new Set([
  'lease_duration',
  'initial_backoff',
  'max_backoff',
  'delay',
  'retry_delay',
  'wait_timeout',
  'oldest_pending_age',
  'retention',
  'event_max_age',
]);

/** "PENDING" for TASK_STATE_PENDING. */
export function shortState(state: string): string {
  return state.startsWith(STATE_PREFIX) ? state.slice(STATE_PREFIX.length) : state;
}

/** FAIL_PARENT from CHILD_FAILURE_POLICY_FAIL_PARENT. */
export function shortPolicy(policy: string): string {
  return policy.replace(/^CHILD_FAILURE_POLICY_/, '').toLowerCase().replace('_', '-');
}

/** TASK_STATE_PENDING from "pending", "PENDING" or "TASK_STATE_PENDING". */
export function parseState(raw: string): TaskState {
  const upper = raw.toUpperCase();
  const name = upper.startsWith(STATE_PREFIX) ? upper : `${STATE_PREFIX}${upper}`;
  const state = Object.values(TaskState).find((s) => s === name);
  if (state === undefined || state === TaskState.TASK_STATE_UNSPECIFIED) {
    const names = Object.values(TaskState).filter((s) => s !== TaskState.TASK_STATE_UNSPECIFIED).map((s) => shortState(s).toLowerCase());
    throw new UsageError(`--state must be one of ${names.join(', ')}; got "${raw}"`);
  }
  return state;
}

function isTimeLike(value: object): value is { seconds: number; nanos: number } {
  return 'seconds' in value && 'nanos' in value && typeof value.seconds === 'number' && typeof value.nanos === 'number';
}

function timestampText(value: { seconds: number; nanos: number }): string {
  return new Date(value.seconds * 1000 + Math.floor(value.nanos / 1e6)).toISOString();
}

function durationText(value: { seconds: number; nanos: number }): string {
  return `${value.seconds + value.nanos / 1e9}s`;
}

/**
 * A message as JSON, following the protobuf JSON mapping with the proto's own field names: bytes as base64,
 * Timestamps as RFC 3339, Durations as "1.5s", enums by name; unset messages are left out.
 */
export function toJson(value: unknown, key = ''): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map((item) => toJson(item));
  if (value === null || typeof value !== 'object') return value;
  if (isTimeLike(value)) {
    if (key.endsWith('_time') || key === 'time') return timestampText(value);
    if (DURATION_FIELDS.has(key)) return durationText(value);
  }
  const out: Record<string, unknown> = {};
  for (const [field, inner] of Object.entries(value)) {
    if (inner === null || inner === undefined) continue;
    out[field] = toJson(inner, field);
  }
  return out;
}

/** Bytes for people: the text when it is printable UTF-8, else the size and base64. */
export function bytesText(bytes: Buffer): string {
  if (bytes.length === 0) return '(empty)';
  const text = bytes.toString('utf8');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we look for
  const printable = Buffer.from(text, 'utf8').equals(bytes) && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text);
  const shown = printable ? JSON.stringify(text) : `base64:${bytes.toString('base64')}`;
  const clipped = shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
  return `${clipped} (${bytes.length} bytes)`;
}

function when(value: { seconds: number; nanos: number } | undefined): string | undefined {
  return value && (value.seconds !== 0 || value.nanos !== 0) ? timestampText(value) : undefined;
}

/** A task as aligned "field  value" lines; unset fields are left out. */
export function taskText(task: Task): string {
  const rows: [string, string | undefined][] = [
    ['queue', task.queue],
    ['id', task.id],
    ['type', task.type === '' ? undefined : task.type],
    ['state', shortState(task.state) + (task.cancel_requested && task.state === 'TASK_STATE_ACTIVE' ? ' (cancel requested)' : '')],
    ['attempt', `${task.attempt} of ${task.max_attempts}`],
    ['priority', String(task.priority)],
    ['unique key', task.unique_key === '' ? undefined : printable(task.unique_key)],
    ['parent', task.parent_id === '' ? undefined : `${task.parent_queue}/${task.parent_id} (${shortPolicy(task.failure_policy)})`],
    ['root', task.parent_id === '' ? undefined : `${task.root_queue}/${task.root_id}`],
    ['children', task.child_count === 0 ? undefined : `${task.child_count} (baton tree ${task.queue} ${task.id})`],
    ['payload', bytesText(task.payload)],
    [
      'metadata',
      Object.keys(task.metadata).length > 0
        ? Object.entries(task.metadata).map(([k, v]) => `${printable(k)}=${printable(v)}`).join(' ')
        : undefined,
    ],
    ['created', when(task.create_time)],
    ['updated', when(task.update_time)],
    ['scheduled', when(task.schedule_time)],
    ['started', when(task.start_time)],
    ['ended', when(task.end_time)],
    ['expires', when(task.expire_time)],
    ['lease', task.lease ? `${task.lease.worker_id} until ${when(task.lease.expire_time) ?? '?'}` : undefined],
    [
      'progress',
      task.progress && (task.progress.total !== 0 || task.progress.current !== 0 || task.progress.message !== '')
        ? `${task.progress.current}/${task.progress.total} ${printable(task.progress.message)}`.trim()
        : undefined,
    ],
    ['result', task.result.length > 0 ? bytesText(task.result) : undefined],
    [
      'error',
      task.error && (task.error.type !== '' || task.error.message !== '')
        ? `${printable(task.error.type)}: ${printable(task.error.message)} (attempt ${task.error.attempt})`
        : undefined,
    ],
  ];
  return rows
    .filter((row): row is [string, string] => row[1] !== undefined)
    .map(([field, value]) => `${field.padEnd(10)} ${value}`)
    .join('\n');
}

/** A task's type as a table cell: `-` when untyped, so that every cell holds something. */
export function typeCell(task: Task): string {
  return task.type === '' ? '-' : task.type;
}

/** Rows as a plain aligned table with a header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A span for people: "850ms", "4.2s", "3m20s", "2h5m", "3d4h". */
export function spanText(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${Math.floor(ms / 100) / 10}s`;
  const pair = (big: number, bigUnit: string, small: number, smallUnit: string): string =>
    small === 0 ? `${big}${bigUnit}` : `${big}${bigUnit}${small}${smallUnit}`;
  const s = Math.floor(ms / 1_000);
  if (s < 3_600) return pair(Math.floor(s / 60), 'm', s % 60, 's');
  if (s < 86_400) return pair(Math.floor(s / 3_600), 'h', Math.floor((s % 3_600) / 60), 'm');
  return pair(Math.floor(s / 86_400), 'd', Math.floor((s % 86_400) / 3_600), 'h');
}

/** "4.2s ago" for a Timestamp in the past, "" when unset. */
export function agoText(timestamp: { seconds: number; nanos: number } | undefined, now = Date.now()): string {
  if (!timestamp || (timestamp.seconds === 0 && timestamp.nanos === 0)) return '';
  return `${spanText(now - (timestamp.seconds * 1000 + timestamp.nanos / 1e6))} ago`;
}

/** Milliseconds of a Duration, or undefined when unset. */
export function durationMs(duration: { seconds: number; nanos: number } | undefined): number | undefined {
  return duration ? duration.seconds * 1000 + duration.nanos / 1e6 : undefined;
}

/** Aligned "field  value" lines; rows whose value is undefined are left out. */
export function fieldLines(rows: [string, string | undefined][]): string {
  const shown = rows.filter((row): row is [string, string] => row[1] !== undefined);
  const width = Math.max(...shown.map(([field]) => field.length));
  return shown.map(([field, value]) => `${field.padEnd(width)}  ${value}`).join('\n');
}

/** A queue's settings as field rows. */
export function settingsRows(settings: QueueSettings | undefined): [string, string | undefined][] {
  const lease = durationMs(settings?.lease_duration);
  const retention = durationMs(settings?.retention);
  const eventMaxAge = durationMs(settings?.event_max_age);
  return [
    ['max attempts', settings ? String(settings.max_attempts) : undefined],
    ['lease', lease === undefined ? undefined : spanText(lease)],
    ['retention', retention === undefined ? "server's default" : spanText(retention)],
    ['ring size', settings ? String(settings.completed_ring_size) : undefined],
    ['events kept', settings ? String(settings.event_retention) : undefined],
    ['event max age', eventMaxAge === undefined ? 'none' : spanText(eventMaxAge)],
    ['max pending', settings?.max_pending_tasks ? String(settings.max_pending_tasks) : 'no limit'],
    ['max stored bytes', settings?.max_stored_payload_bytes ? String(settings.max_stored_payload_bytes) : 'no limit'],
    ['key concurrency', settings?.concurrency_key_limit ? String(settings.concurrency_key_limit) : 'no limit'],
    ['claim rate', rateText(settings?.claim_rate_limit)],
    ['key claim rate', rateText(settings?.key_rate_limit)],
    ['partitions', settings ? String(settings.partitions || 1) : undefined],
  ];
}

/** "100/1s" for a rate limit, "no limit" when unset. */
function rateText(limit: RateLimit | undefined): string {
  const period = durationMs(limit?.period);
  return limit && period !== undefined ? `${limit.claims}/${spanText(period)}` : 'no limit';
}

/** The busiest concurrency keys, "key 3 active, 5 waiting" each, and what the rate limits held back. */
function limitRows(queue: Queue): [string, string | undefined][] {
  const top = queue.top_concurrency_keys.map((usage) => `${usage.key} ${usage.active} active, ${usage.waiting} waiting`);
  const throttled = durationMs(queue.throttled_duration) ?? 0;
  return [
    ['key-limited', String(queue.key_limited_tasks)],
    ['top keys', top.length === 0 ? '-' : top.join('; ')],
    ['throttled claims', `${queue.throttled_claims} (${spanText(throttled)} in all)`],
    ['throttled keys', `${queue.throttled_keys} now, ${queue.key_throttled_tasks} tasks held back`],
  ];
}

/** One queue in detail: counts, oldest pending age, workers, last claim and settings. */
export function queueText(queue: Queue, now = Date.now()): string {
  const counts = queue.counts;
  const oldest = durationMs(queue.oldest_pending_age);
  const lastClaim = when(queue.last_claim_time);
  return fieldLines([
    ['queue', queue.name],
    ['paused', queue.paused ? 'yes' : 'no'],
    ['scheduled', counts ? String(counts.scheduled) : undefined],
    ['pending', counts ? String(counts.pending) : undefined],
    ['active', counts ? String(counts.active) : undefined],
    ['succeeded', counts ? String(counts.succeeded) : undefined],
    ['failed', counts ? String(counts.failed) : undefined],
    ['exhausted', counts ? String(counts.exhausted) : undefined],
    ['cancelled', counts ? String(counts.cancelled) : undefined],
    ['expired', counts ? String(counts.expired) : undefined],
    ['oldest pending', oldest === undefined ? '-' : spanText(oldest)],
    ['live workers', String(queue.live_workers)],
    ['unique keys', String(queue.unique_keys)],
    ['last claim', lastClaim === undefined ? 'never' : `${lastClaim} (${agoText(queue.last_claim_time, now)})`],
    ...limitRows(queue),
    ...settingsRows(queue.settings),
  ]);
}
