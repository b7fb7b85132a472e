import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idInPartition, partitionOfId, partitionOfKey, queueOfAddress } from '../../src/domain/partitions.js';
import { advanceMerged, isAfterMerged, joinPosition, mergeBounds, mergeEvents, splitPosition } from '../../src/domain/partitionEvents.js';
import type { TaskEvent } from '../../src/domain/task.js';
import { DEFAULT_KEYSPACE, Keyspace } from '../../src/store/keys.js';
import { keySlot } from '../../src/store/nodePipelines.js';
import { partitionPositions } from '../../src/store/partitionSlots.js';

const ULID = '01JF0000000000000000000000';

describe('partition ids and addresses', () => {
  it("keeps partition 0's ids plain ULIDs and suffixes the others", () => {
    assert.equal(idInPartition(ULID, 0), ULID);
    assert.equal(idInPartition(ULID, 3), `${ULID}.3`);
    assert.equal(partitionOfId(`${ULID}.3`), 3);
    assert.equal(partitionOfId(ULID), undefined);
    assert.equal(partitionOfId('order-7.3'), undefined, "a caller's id is placed by its hash, not its suffix");
  });

  it('hashes a key to the same partition every time, within the count', () => {
    assert.equal(partitionOfKey('tenant-a', 6), partitionOfKey('tenant-a', 6));
    assert.equal(partitionOfKey('tenant-a', 1), 0);
    for (const key of ['a', 'b', 'c', 'd']) assert.ok(partitionOfKey(key, 6) < 6);
  });

  it("names partition 0 by the queue's own keys and parses the queue back from any partition's keys", () => {
    const [first, second] = DEFAULT_KEYSPACE.partitionAddresses('orders', [1, 6]);
    assert.equal(first, 'orders');
    assert.equal(DEFAULT_KEYSPACE.queueKeys('orders')[0], 'baton:{q:orders:0}:tasks');
    assert.match(second ?? '', /^orders@1\.\d+$/);
    const tasks = DEFAULT_KEYSPACE.queueKeys(second ?? '')[0] ?? '';
    assert.match(tasks, /^baton:\{q:orders:1\.\d+\}:tasks$/);
    assert.equal(DEFAULT_KEYSPACE.queueOfTasksKey(tasks), 'orders');
    assert.equal(queueOfAddress(second ?? ''), 'orders');
    assert.match(new Keyspace('blue').queueKeys(second ?? '')[0] ?? '', /^baton:blue:\{blue:q:orders:1\.\d+\}:tasks$/);
  });

  it('places 6 partitions 2 per master on 3 masters, for any queue, and keeps tags when the count grows', () => {
    const third = Math.ceil(16384 / 3);
    for (let i = 0; i < 50; i++) {
      const queue = `q-${i}`;
      const six = DEFAULT_KEYSPACE.partitionAddresses(queue, [1, 6]);
      const masters = six.map((address) => Math.floor(keySlot(DEFAULT_KEYSPACE.queueKeys(address)[0] ?? '') / third));
      assert.deepEqual([0, 1, 2].map((m) => masters.filter((x) => x === m).length), [2, 2, 2], queue);
      assert.deepEqual(DEFAULT_KEYSPACE.partitionAddresses(queue, [1, 6, 12]).slice(0, 6), six);
    }
  });

  it('interleaves the partitions a doubling adds between the existing ones', () => {
    const positions = partitionPositions([1, 4, 8], 0.1);
    assert.equal(positions.length, 8);
    const sorted = [...positions].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) assert.ok((sorted[i] ?? 0) - (sorted[i - 1] ?? 0) < 0.2);
  });
});

describe('merged event positions', () => {
  const event = (position: string): TaskEvent => ({ position, type: 'submitted', time: Number(position.split('-')[0]), queue: 'q' });

  it("orders by the event's own partition and moves only that part of a position", () => {
    const at = joinPosition(['5-0', '7-0'], 1);
    assert.equal(isAfterMerged(at, joinPosition(['9-0', '6-0'])), true);
    assert.equal(isAfterMerged(at, joinPosition(['1-0', '7-0'])), false);
    assert.equal(advanceMerged(joinPosition(['9-0', '6-0'], 0), at), joinPosition(['9-0', '7-0'], 1));
    assert.deepEqual(splitPosition('3-1', 2).parts, ['3-1', '3-1'], 'a plain position stands for every partition');
  });

  it('merges pages by time, each event once, stopping where a full page ends', () => {
    const pages = [[event('1-0'), event('4-0')], [event('2-0'), event('3-0'), event('9-0')]];
    const merged = mergeEvents('0-0', pages, 2);
    assert.deepEqual(merged.map((e) => e.time), [1, 2], 'both pages were full: nothing after the earlier end, 4, is certain');
    const rest = mergeEvents(merged.at(-1)?.position ?? '', [[event('4-0')], [event('3-0'), event('9-0')]], 10);
    assert.deepEqual(rest.map((e) => e.time), [3, 4, 9]);
  });

  it("checks a cursor against each partition's last trimmed position, not its oldest event", () => {
    const bounds = mergeBounds([
      { last: '9-0', first: '5-0', trimmed: '4-0' },
      { last: '8-0', first: '7-0', trimmed: '0-0' },
      undefined,
    ]);
    assert.ok(bounds);
    assert.equal(bounds.last, joinPosition(['9-0', '8-0', '0-0']));
    const first = bounds.first ?? '';
    assert.equal(isAfterMerged(first, joinPosition(['4-0', '1-0', '0-0'])), false, 'nothing after the cursor was trimmed');
    assert.equal(isAfterMerged(first, joinPosition(['3-0', '1-0', '0-0'])), true, "partition 0's trimming passed it");
    assert.equal(mergeBounds([undefined, undefined]), undefined);
  });
});
