import { durationFromMs } from '../../time.js';
import type { Input } from '../../client.js';
import type { QueueSettings, RateLimit } from '../../contract.js';
import type { Command } from '../command.js';
import { UsageError, durationArg, durationOption, intOption, println, stringOption } from '../command.js';
import type { CommandContext } from '../command.js';
import { fieldLines, settingsRows, toJson } from '../format.js';

/** `--claim-rate 100/1s`: claims per period; `none` removes the limit. */
function rateOption(ctx: CommandContext, name: string): Input<typeof RateLimit> | undefined {
  const raw = stringOption(ctx, name);
  if (raw === undefined) return undefined;
  if (raw === 'none') return { claims: -1 };
  const match = /^(\d+)\/(.+)$/.exec(raw);
  const claims = Number(match?.[1]);
  if (!match?.[2] || !Number.isSafeInteger(claims) || claims < 1 || claims > 1_000_000) {
    throw new UsageError(`--${name} takes <claims>/<period> with claims 1..1000000, e.g. 100/1s, or none; got "${raw}"`);
  }
  return { claims, period: durationFromMs(durationArg(match[2], `--${name}`)) };
}

export const queueSet: Command = {
  name: 'queue-set',
  summary: "change a queue's defaults and quotas: max attempts, lease, retention, completed list, events, limits, partitions",
  positionals: ['<queue>'],
  details: 'Only the options given change. Defaults apply to tasks submitted afterwards without their own value.',
  options: {
    'max-attempts': { type: 'string', value: '<n>', help: 'default max attempts, 1..1000' },
    lease: { type: 'string', value: '<duration>', help: 'default lease, 1s..24h' },
    retention: {
      type: 'string',
      value: '<duration>',
      help: "how long finished tasks are kept, 1s..365d; 0s: the server's default",
    },
    ring: { type: 'string', value: '<n>', help: "how many finished tasks 'baton completed' keeps, 1..100000" },
    events: { type: 'string', value: '<n>', help: "about how many events 'baton watch' can replay, 10..1000000" },
    'event-max-age': {
      type: 'string',
      value: '<duration>',
      help: 'about how long events are kept, 1s..365d; 0s: no age limit',
    },
    'max-pending': {
      type: 'string',
      value: '<n>',
      help: 'quota: most scheduled and pending tasks, 1..1000000000; -1: no limit',
    },
    'max-stored-bytes': {
      type: 'string',
      value: '<n>',
      help: 'quota: most payload bytes its tasks store, 1..1099511627776; -1: no limit',
    },
    'key-concurrency': {
      type: 'string',
      value: '<n>',
      help: 'most ACTIVE tasks per concurrency key, 1..1000000; -1: no limit',
    },
    'claim-rate': { type: 'string', value: '<n/duration>', help: 'most claims per period, e.g. 100/1s; none: no limit' },
    'key-rate': {
      type: 'string',
      value: '<n/duration>',
      help: 'most claims per period for each concurrency key, e.g. 5/1m; none: no limit',
    },
    partitions: {
      type: 'string',
      value: '<n>',
      help: 'spread the queue over this many partitions (Redis slots), 1..256; it can only be raised',
    },
  },
  async run(ctx) {
    const [name = ''] = ctx.args;
    const settings: Input<typeof QueueSettings> = {};
    const maxAttempts = intOption(ctx, 'max-attempts', 1, 1000);
    if (maxAttempts !== undefined) settings.max_attempts = maxAttempts;
    const lease = durationOption(ctx, 'lease');
    if (lease !== undefined) settings.lease_duration = durationFromMs(lease);
    const retention = durationOption(ctx, 'retention');
    if (retention !== undefined) settings.retention = durationFromMs(retention);
    const ring = intOption(ctx, 'ring', 1, 100_000);
    if (ring !== undefined) settings.completed_ring_size = ring;
    const events = intOption(ctx, 'events', 10, 1_000_000);
    if (events !== undefined) settings.event_retention = events;
    const eventMaxAge = durationOption(ctx, 'event-max-age');
    if (eventMaxAge !== undefined) settings.event_max_age = durationFromMs(eventMaxAge);
    const maxPending = intOption(ctx, 'max-pending', -1, 1_000_000_000);
    if (maxPending !== undefined && maxPending !== 0) settings.max_pending_tasks = maxPending;
    const maxStoredBytes = intOption(ctx, 'max-stored-bytes', -1, 1_099_511_627_776);
    if (maxStoredBytes !== undefined && maxStoredBytes !== 0) settings.max_stored_payload_bytes = maxStoredBytes;
    const keyConcurrency = intOption(ctx, 'key-concurrency', -1, 1_000_000);
    if (keyConcurrency !== undefined && keyConcurrency !== 0) settings.concurrency_key_limit = keyConcurrency;
    const claimRate = rateOption(ctx, 'claim-rate');
    if (claimRate !== undefined) settings.claim_rate_limit = claimRate;
    const keyRate = rateOption(ctx, 'key-rate');
    if (keyRate !== undefined) settings.key_rate_limit = keyRate;
    const partitions = intOption(ctx, 'partitions', 1, 256);
    if (partitions !== undefined) settings.partitions = partitions;
    if (Object.keys(settings).length === 0) {
      throw new UsageError(
        'nothing to change: give --max-attempts, --lease, --retention, --ring, --events, --event-max-age, --max-pending, ' +
          '--max-stored-bytes, --key-concurrency, --claim-rate, --key-rate or --partitions',
      );
    }
    const { queue } = await ctx.client.updateQueue({ queue: name, settings }, ctx.call);
    if (!queue) throw new Error('the server returned no queue');
    if (ctx.json) println(ctx.io.stdout, JSON.stringify(toJson(queue)));
    else println(ctx.io.stdout, `updated ${queue.name}\n${fieldLines(settingsRows(queue.settings))}`);
  },
};
