import { durationFromMs } from '../../client/client.js';
import type { QueueSettings } from '../../grpc/generated/baton/v1/QueueSettings.js';
import type { Command } from '../command.js';
import { UsageError, durationOption, intOption, println } from '../command.js';
import { fieldLines, settingsRows, toJson } from '../format.js';

export const queueSet: Command = {
  name: 'queue-set',
  summary: "change a queue's defaults: max attempts, lease, retention, completed-list size, events kept",
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
  },
  async run(ctx) {
    const [name = ''] = ctx.args;
    const settings: QueueSettings = {};
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
    if (Object.keys(settings).length === 0) {
      throw new UsageError(
        'nothing to change: give --max-attempts, --lease, --retention, --ring, --events or --event-max-age',
      );
    }
    const { queue } = await ctx.client.updateQueue({ queue: name, settings }, ctx.call);
    if (!queue) throw new Error('the server returned no queue');
    if (ctx.json) println(ctx.io.stdout, JSON.stringify(toJson(queue)));
    else println(ctx.io.stdout, `updated ${queue.name}\n${fieldLines(settingsRows(queue.settings))}`);
  },
};
