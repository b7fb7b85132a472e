import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, uniqueQueue } from '../support/baton.js';
import type { TestServer } from '../support/baton.js';
import { cli } from '../support/cli.js';
import type { Run } from '../support/cli.js';
import { startTestRedis } from '../../tools/redis/cluster.js';
import type { TestRedis } from '../../tools/redis/cluster.js';

describe('baton submit --unique-key', () => {
  let redis: TestRedis;
  let server: TestServer;
  const baton = (...args: string[]): Promise<Run> => cli([...args, '--server', server.baton.grpcAddress]);

  before(async () => {
    redis = await startTestRedis();
    server = await startTestServer(redis.config);
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  it('--unique-for reports the task holding the key, and get shows the key', async () => {
    const queue = uniqueQueue('cli-unique');
    const first = await baton('submit', queue, 'one', '--id', 'holder', '--unique-key', 'nightly', '--unique-for', '10m');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^submitted holder \(PENDING\)\n$/);
    const again = await baton('submit', queue, 'two', '--unique-key', 'nightly', '--unique-for', '10m');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^exists, unchanged: holder \(PENDING\)/);
    assert.match(again.stdout, /unique key +nightly/);
    assert.match((await baton('get', queue, 'holder')).stdout, /unique key +nightly/);
    assert.match((await baton('stats', queue)).stdout, /^unique keys +1$/m);
  });

  it('--debounce pushes back the waiting task with the new payload; --json says debounced', async () => {
    const queue = uniqueQueue('cli-debounce');
    assert.equal((await baton('submit', queue, 'v1', '--id', 'doc', '--unique-key', 'doc-7', '--debounce', '1m')).code, 0);
    const again = await baton('submit', queue, 'v2', '--unique-key', 'doc-7', '--debounce', '1m', '--json');
    assert.equal(again.code, 0, again.stderr);
    const parsed = JSON.parse(again.stdout) as { created: boolean; debounced: boolean; task: { id: string; payload: string } };
    assert.deepEqual([parsed.created, parsed.debounced, parsed.task.id], [false, true, 'doc']);
    assert.match((await baton('submit', queue, 'v3', '--unique-key', 'doc-7', '--debounce', '1m')).stdout, /^debounced: doc \(SCHEDULED\)/);
  });

  it('--unique-until-finished holds the key while the task is unfinished; a bad combination is a usage error from the server', async () => {
    const queue = uniqueQueue('cli-until');
    assert.equal((await baton('submit', queue, '--id', 'job', '--unique-key', 'k', '--unique-until-finished')).code, 0);
    assert.match((await baton('submit', queue, '--unique-key', 'k', '--unique-until-finished')).stdout, /^exists, unchanged: job/);
    const bad = await baton('submit', queue, '--unique-key', 'k');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unique_key: set exactly one of unique_for, unique_until_finished and debounce/);
  });
});
