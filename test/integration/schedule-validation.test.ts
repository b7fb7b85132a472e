import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { duration, rejectsWith, timestamp } from '../support/api.js';
import { uniqueQueue, useTestServer } from '../support/baton.js';
import type { Input } from '../../clients/typescript/src/client.js';
import type { CreateScheduleRequest } from '../../clients/typescript/src/contract.js';

describe('bad schedules get INVALID_ARGUMENT naming the field, and create nothing', () => {
  const setup = useTestServer(undefined, { maxPayloadBytes: 1024 });
  const queue = uniqueQueue('schedule-validation');
  const valid: Input<typeof CreateScheduleRequest> = { schedule_id: 'valid', cron: '* * * * *', task: { queue } };

  const bad: [string, Input<typeof CreateScheduleRequest>, RegExp][] = [
    ['a cron expression out of range', { cron: '61 * * * *' }, /^cron: "61 \* \* \* \*" is not a cron expression that fires: .*0-59/],
    ['a cron expression of 3 fields', { cron: '* * *' }, /^cron: .*must have 5 fields .* or 6 \(seconds first\)/],
    ['a cron expression that never fires', { cron: '0 0 30 2 *' }, /^cron: /],
    ['an unknown time zone', { time_zone: 'Mars/Olympus' }, /^time_zone: "Mars\/Olympus" is not a known IANA time zone/],
    ['both cron and interval', { interval: duration(1000) }, /^cron: set exactly one of cron and interval/],
    ['neither cron nor interval', { cron: '' }, /^cron: set exactly one of cron and interval/],
    ['an interval under 1s', { cron: '', interval: duration(500) }, /^interval: must be from 1s to 365d, got 500ms/],
    ['a time zone for an interval', { cron: '', interval: duration(1000), time_zone: 'UTC' }, /^time_zone: applies to cron only/],
    ['a bad schedule id', { schedule_id: 'a/b' }, /^schedule_id: "a\/b" must match/],
    ['a schedule id over 64 characters', { schedule_id: 'x'.repeat(65) }, /^schedule_id: /],
    ['no task', { task: undefined }, /^task: is required/],
    ['a task id in the template', { task: { queue, task_id: 'fixed' } }, /^task\.task_id: must be empty/],
    ['a schedule time in the template', { task: { queue, schedule_time: timestamp(Date.now() + 60_000) } }, /^task\.schedule_time: must be unset/],
    ['an expire time in the template', { task: { queue, expire_time: timestamp(Date.now() + 60_000) } }, /^task\.expire_time: must be unset/],
    ['a template priority of 10', { task: { queue, priority: 10 } }, /^task\.priority: must be an integer from -9 to 9, got 10/],
    ['a template payload over the limit', { task: { queue, payload: Buffer.alloc(1025) } }, /^task\.payload: is 1025 bytes; the limit is 1024/],
    ['a template queue name with braces', { task: { queue: 'a{b}' } }, /^task\.queue: /],
    ['a catch-up limit over 1000', { catch_up_limit: 1001 }, /^catch_up_limit: must be an integer from 1 to 1000, got 1001/],
    ['a misfire threshold over 1h', { misfire_threshold: duration(2 * 3_600_000) }, /^misfire_threshold: must be from 1s to 1h/],
  ];
  for (const [what, change, message] of bad) {
    it(`refuses ${what}`, async () => {
      const request = { ...valid, ...change };
      await rejectsWith(setup.client.createSchedule(request), grpc.status.INVALID_ARGUMENT, message);
      await rejectsWith(setup.client.getSchedule({ queue, schedule_id: 'valid' }), grpc.status.NOT_FOUND);
    });
  }

  it('refuses a second schedule with the same id in the queue (ALREADY_EXISTS), and leaves the first as it was', async () => {
    await setup.client.createSchedule({ ...valid, schedule_id: 'taken', paused: true });
    await rejectsWith(
      setup.client.createSchedule({ ...valid, schedule_id: 'taken', cron: '*/5 * * * * *' }),
      grpc.status.ALREADY_EXISTS,
      /schedule "taken" already exists in queue/,
    );
    const { schedule } = await setup.client.getSchedule({ queue, schedule_id: 'taken' });
    if (schedule?.cron !== '* * * * *' || !schedule.paused) throw new Error('the first schedule changed');
  });

  it('refuses bad names and counts in the other calls', async () => {
    await rejectsWith(setup.client.getSchedule({ queue: 'a{b}', schedule_id: 'x' }), grpc.status.INVALID_ARGUMENT, /^queue: /);
    await rejectsWith(setup.client.getSchedule({ queue, schedule_id: '' }), grpc.status.INVALID_ARGUMENT, /^schedule_id: /);
    await setup.client.createSchedule({ ...valid, schedule_id: 'counted', paused: true });
    await rejectsWith(
      setup.client.getSchedule({ queue, schedule_id: 'counted', next_run_count: 101 }),
      grpc.status.INVALID_ARGUMENT,
      /^next_run_count: must be an integer from 0 to 100/,
    );
    await rejectsWith(setup.client.listSchedules({ queue, page_size: 1001 }), grpc.status.INVALID_ARGUMENT, /^page_size: /);
    await rejectsWith(setup.client.listSchedules({ queue, page_token: 'forged.token' }), grpc.status.INVALID_ARGUMENT, /^page_token: /);
    await rejectsWith(setup.client.pauseSchedule({ queue, schedule_id: 'missing' }), grpc.status.NOT_FOUND);
    await rejectsWith(setup.client.triggerSchedule({ queue, schedule_id: 'missing' }), grpc.status.NOT_FOUND);
  });
});
