import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inBatchesByQueue } from '../../src/domain/batches.js';
import { BatonError, UnavailableError } from '../../src/domain/errors.js';

describe('inBatchesByQueue', () => {
  it('answers per item: a queue whose store call fails fails only its own items', async () => {
    const inputs = [
      { queue: 'up', id: 'a' },
      { queue: 'down', id: 'b' },
      { queue: 'up', id: 'c' },
    ];
    const outcomes = await inBatchesByQueue(
      inputs,
      (input) => input,
      async (queue, items) => {
        await Promise.resolve();
        if (queue === 'down') throw new UnavailableError('timeout', 'Redis did not answer');
        return items.map((item) => item.id);
      },
    );
    assert.equal(outcomes[0], 'a');
    assert.equal(outcomes[2], 'c');
    const failed = outcomes[1];
    assert.ok(typeof failed === 'object' && failed.error instanceof BatonError);
    assert.equal(failed.error.code, 'UNAVAILABLE');
  });

  it('still throws what is not a BatonError (a bug)', async () => {
    await assert.rejects(
      inBatchesByQueue(
        [{ queue: 'q' }],
        (input) => input,
        () => Promise.reject(new TypeError('bug')),
      ),
      TypeError,
    );
  });
});
