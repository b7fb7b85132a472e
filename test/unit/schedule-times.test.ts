import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatonError } from '../../src/domain/errors.js';
import { checkCron, checkTimeZone, nextTick, planTicks, ticksAfter } from '../../src/domain/scheduleTimes.js';
import type { Cadence } from '../../src/domain/scheduleTimes.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const cron = (expression: string, timeZone = 'UTC'): Cadence => checkCron(expression, timeZone, at('2026-01-01T00:00:00Z'));
const isoTicks = (cadence: Cadence, after: string, count: number): string[] => ticksAfter(cadence, at(after), count).map(iso);

function invalid(field: string, call: () => unknown): void {
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof BatonError);
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.match(error.message, new RegExp(`^${field}: `));
    return true;
  });
}

describe('schedule ticks: cron in a time zone', () => {
  it('reads the fields in the zone: midnight in Kolkata is 18:30 UTC', () => {
    assert.deepEqual(isoTicks(cron('0 0 * * *', 'Asia/Kolkata'), '2026-10-31T12:00:00Z', 2), [
      '2026-10-31T18:30:00.000Z',
      '2026-11-01T18:30:00.000Z',
    ]);
  });

  it('a sixth field is seconds', () => {
    assert.deepEqual(isoTicks(cron('*/1 * * * * *'), '2026-10-31T12:00:00.500Z', 3), [
      '2026-10-31T12:00:01.000Z',
      '2026-10-31T12:00:02.000Z',
      '2026-10-31T12:00:03.000Z',
    ]);
    assert.deepEqual(isoTicks(cron('15,45 * * * * *'), '2026-10-31T12:00:20Z', 2), ['2026-10-31T12:00:45.000Z', '2026-10-31T12:01:15.000Z']);
  });

  it('the next tick is strictly after the time given, even when that time is a tick', () => {
    assert.equal(iso(nextTick(cron('*/1 * * * * *'), at('2026-10-31T12:00:01Z'))), '2026-10-31T12:00:02.000Z');
  });

  it('Europe/Berlin spring forward: 02:30 does not exist on 29 March and runs once, an hour later (03:30 CEST)', () => {
    assert.deepEqual(isoTicks(cron('30 2 * * *', 'Europe/Berlin'), '2026-03-28T12:00:00Z', 3), [
      '2026-03-29T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('Europe/Berlin fall back: 02:30 happens twice on 25 October and runs once, at the first (CEST)', () => {
    assert.deepEqual(isoTicks(cron('30 2 * * *', 'Europe/Berlin'), '2026-10-24T12:00:00Z', 3), [
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('America/New_York spring forward: 02:15 on 8 March runs at 03:15 EDT', () => {
    assert.deepEqual(isoTicks(cron('15 2 * * *', 'America/New_York'), '2026-03-07T12:00:00Z', 2), [
      '2026-03-08T07:15:00.000Z',
      '2026-03-09T06:15:00.000Z',
    ]);
  });

  it('America/New_York fall back: a fixed 01:30 runs once on 1 November, a step in the hour runs in both 01:00 hours', () => {
    assert.deepEqual(isoTicks(cron('0 30 1 * * *', 'America/New_York'), '2026-10-31T12:00:00Z', 2), [
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
    assert.deepEqual(isoTicks(cron('*/30 * * * *', 'America/New_York'), '2026-11-01T04:10:00Z', 6), [
      '2026-11-01T04:30:00.000Z',
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T06:30:00.000Z',
      '2026-11-01T07:00:00.000Z',
    ]);
  });

  it('refuses malformed expressions, expressions that never fire and unknown zones, naming the field', () => {
    invalid('cron', () => cron('61 * * * *'));
    invalid('cron', () => cron('* * *'));
    invalid('cron', () => cron('* * * * * * *'));
    invalid('cron', () => cron('0 0 30 2 *'));
    invalid('time_zone', () => checkTimeZone('Mars/Olympus'));
    assert.equal(checkTimeZone('Europe/Berlin'), 'Europe/Berlin');
  });
});

describe('schedule ticks: fixed intervals', () => {
  const every = (intervalMs: number, anchor: string): Cadence => ({ intervalMs, anchorMs: at(anchor) });

  it('ticks every interval from the anchor, never at it', () => {
    const cadence = every(1500, '2026-10-31T12:00:00Z');
    assert.deepEqual(isoTicks(cadence, '2026-10-31T11:00:00Z', 2), ['2026-10-31T12:00:01.500Z', '2026-10-31T12:00:03.000Z']);
    assert.deepEqual(isoTicks(cadence, '2026-10-31T12:00:03Z', 1), ['2026-10-31T12:00:04.500Z']);
  });

  it('keeps elapsed time across daylight-saving changes (an interval has no zone)', () => {
    const cadence = every(3_600_000, '2026-10-25T00:00:00Z');
    assert.deepEqual(isoTicks(cadence, '2026-10-25T00:30:00Z', 3), [
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-25T03:00:00.000Z',
    ]);
  });
});

describe('schedule ticks: what fires when a tick is due', () => {
  const secondly: Cadence = { intervalMs: 1000, anchorMs: at('2026-10-31T12:00:00Z') };
  const now = at('2026-10-31T12:00:10.200Z');
  const plan = (dueIso: string, policy: 'NONE' | 'LAST' | 'ALL', limit = 100) =>
    planTicks(secondly, at(dueIso), now, { policy, limit, misfireMs: 1000 });

  it('an on-time tick fires and the schedule moves to the first tick after now', () => {
    const { fire, next } = plan('2026-10-31T12:00:10Z', 'NONE');
    assert.deepEqual(fire.map(iso), ['2026-10-31T12:00:10.000Z']);
    assert.equal(iso(next), '2026-10-31T12:00:11.000Z');
  });

  it('after an outage, NONE fires only the ticks within the misfire threshold', () => {
    assert.deepEqual(plan('2026-10-31T12:00:04Z', 'NONE').fire.map(iso), ['2026-10-31T12:00:10.000Z']);
  });

  it('after an outage, LAST fires the most recent missed tick too', () => {
    assert.deepEqual(plan('2026-10-31T12:00:04Z', 'LAST').fire.map(iso), ['2026-10-31T12:00:09.000Z', '2026-10-31T12:00:10.000Z']);
  });

  it('after an outage, ALL fires every missed tick, at most the limit of the most recent ones', () => {
    assert.deepEqual(plan('2026-10-31T12:00:07Z', 'ALL').fire.map(iso), [
      '2026-10-31T12:00:07.000Z',
      '2026-10-31T12:00:08.000Z',
      '2026-10-31T12:00:09.000Z',
      '2026-10-31T12:00:10.000Z',
    ]);
    assert.deepEqual(plan('2026-10-31T12:00:01Z', 'ALL', 2).fire.map(iso), [
      '2026-10-31T12:00:08.000Z',
      '2026-10-31T12:00:09.000Z',
      '2026-10-31T12:00:10.000Z',
    ]);
  });

  it('a week-long outage of an every-second cron schedule plans quickly and fires at most the limit', () => {
    const cadence = cron('* * * * * *');
    const started = Date.now();
    const { fire, next } = planTicks(cadence, now - 7 * 86_400_000, now, { policy: 'ALL', limit: 1000, misfireMs: 1000 });
    assert.equal(fire.length, 1000);
    assert.equal(iso(fire.at(-1) ?? 0), '2026-10-31T12:00:10.000Z');
    assert.equal(iso(next), '2026-10-31T12:00:11.000Z');
    assert.ok(Date.now() - started < 5_000, 'bounded work');
  });
});
