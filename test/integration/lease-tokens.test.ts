import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { submit } from '../support/api.js';
import { uniqueQueue, useTestServer } from '../support/baton.js';

/** The longest prefix two strings share. */
function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}

describe('lease tokens', () => {
  const setup = useTestServer();

  it('are independently random within one claim: no token reveals a sibling', async () => {
    const queue = uniqueQueue('tokens');
    for (let i = 0; i < 8; i++) await submit(setup.client, { queue, task_id: `t${i}` });
    const { tasks } = await setup.client.claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 8 });
    assert.equal(tasks.length, 8);
    const tokens = tasks.map((t) => t.lease_token);
    assert.equal(new Set(tokens).size, 8);
    for (const token of tokens) assert.match(token, /^t[A-Za-z0-9_-]{22}$/);
    for (let i = 0; i < tokens.length; i++) {
      for (let j = i + 1; j < tokens.length; j++) {
        // Past the leading letter, a shared prefix of random base64 is rare; a counter scheme shares nearly all.
        assert.ok(sharedPrefix(tokens[i] ?? '', tokens[j] ?? '') < 8, `${tokens[i]} and ${tokens[j]} share a prefix`);
      }
    }
  });

  it('are independently random when a submit hands tasks to a waiting claim', async () => {
    const queue = uniqueQueue('tokens-handoff');
    const waiting = setup.client.claimTasks({ queues: [queue], worker_id: 'w', max_tasks: 4, wait_timeout: { seconds: 5, nanos: 0 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await setup.client.submitTasks({ requests: [0, 1, 2, 3].map((i) => ({ queue, task_id: `h${i}` })) });
    const { tasks } = await waiting;
    const tokens = tasks.map((t) => t.lease_token);
    assert.ok(tokens.length >= 1);
    for (const token of tokens) assert.match(token, /^t[A-Za-z0-9_-]{22}$/);
    assert.equal(new Set(tokens.map((t) => t.slice(0, 12))).size, tokens.length);
  });
});
