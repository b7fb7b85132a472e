import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_KEYSPACE, Keyspace, QUEUE_KEY_COUNT } from '../../src/store/keys.js';

/** The hash tag Redis Cluster hashes a key by: the first {...} with something inside. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return key.slice(open + 1, close);
}

describe('key names', () => {
  it('without a namespace are the names Baton always used, so existing data stays readable', () => {
    const keys = DEFAULT_KEYSPACE;
    assert.deepEqual(keys.queueKeys('orders').slice(0, 2), ['baton:{q:orders:0}:tasks', 'baton:{q:orders:0}:pending']);
    assert.equal(keys.queueKeys('orders').length, QUEUE_KEY_COUNT);
    assert.equal(keys.activeKey('orders'), 'baton:{q:orders:0}:active');
    assert.equal(keys.eventsKey('orders'), 'baton:{q:orders:0}:events');
    assert.deepEqual(keys.registryKeys(), ['baton:{w}:workers', 'baton:{w}:seen']);
    assert.equal(keys.dueClaims, 'baton:{baton:due}:claims', "in the due index's slot: its tag is the index's name");
    assert.deepEqual(keys.scheduleKeys('orders/nightly'), ['baton:{s}:ids', 'baton:{s}:due', 'baton:{s}:schedule:orders/nightly']);
    assert.deepEqual(
      [keys.queues, keys.due, keys.wakeChannel, keys.eventsChannel, keys.logsChannel],
      ['baton:queues', 'baton:due', 'baton:wake', 'baton:events', 'baton:logs'],
    );
  });

  it('with a namespace all start with baton:<namespace>: and every hash tag carries it', () => {
    const keys = new Keyspace('blue');
    const all = [
      ...keys.queueKeys('orders'),
      ...keys.registryKeys(),
      ...keys.scheduleKeys('orders/nightly'),
      keys.queues,
      keys.due,
      keys.dueClaims,
      keys.sweep,
      keys.wakeChannel,
      keys.eventsChannel,
      keys.logsChannel,
    ];
    for (const key of all) assert.ok(key.startsWith('baton:blue:'), key);
    for (const key of all.filter((k) => k.includes('{'))) assert.ok(hashTag(key).startsWith('blue:'), key);
    assert.equal(new Set(keys.queueKeys('orders').map(hashTag)).size, 1, "a queue's keys share one slot");
    assert.equal(keys.queueKeys('orders')[0], 'baton:blue:{blue:q:orders:0}:tasks');
    assert.equal(hashTag(keys.due), hashTag(keys.dueClaims), 'the due index and its claims share a slot');
  });

  it('reads queue and task back from the names its scripts publish, and not from another namespace', () => {
    const blue = new Keyspace('blue');
    const [tasks = '', , , , , , , , , , events = '', logs = ''] = blue.queueKeys('a:b}c');
    assert.equal(blue.queueOfTasksKey(tasks), 'a:b}c');
    assert.equal(blue.queueOfEventsKey(events), 'a:b}c');
    assert.deepEqual(blue.taskOfLogsMessage(`${logs} t1`), { queue: 'a:b}c', id: 't1' });
    assert.equal(DEFAULT_KEYSPACE.queueOfTasksKey(tasks), undefined);
    assert.equal(new Keyspace('green').queueOfEventsKey(events), undefined);
    assert.equal(blue.queueOfTasksKey(DEFAULT_KEYSPACE.queueKeys('x')[0] ?? ''), undefined);
  });

  it('refuses a namespace that could break a key or a hash tag', () => {
    for (const bad of ['', 'a{b', 'a}b', 'a:b', 'a b', 'x'.repeat(33)]) assert.throws(() => new Keyspace(bad || ' '), /namespace/);
    assert.equal(new Keyspace('').prefix, 'baton:');
  });
});
