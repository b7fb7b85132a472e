import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration } from '../../clients/typescript/src/index.js';

describe('parseDuration (the one grammar of the server settings and the CLI)', () => {
  it('takes a number and a unit of ms, s, m, h or d', () => {
    assert.deepEqual(['500ms', '30s', '5m', '24h', '7d'].map(parseDuration), [500, 30_000, 300_000, 86_400_000, 604_800_000]);
  });

  it('takes fractions and several parts', () => {
    assert.deepEqual(['1.5h', '90s', '250ms', '1h30m', '2d', '.5s', '1m0.5s', '1d2h3m4s5ms'].map(parseDuration), [
      5_400_000, 90_000, 250, 5_400_000, 172_800_000, 500, 60_500, 93_784_005,
    ]);
  });

  it('takes zero with or without a unit, and surrounding spaces', () => {
    assert.deepEqual(['0', '0s', '0ms', ' 30s '].map(parseDuration), [0, 0, 0, 30_000]);
  });

  it('rounds to a whole millisecond', () => {
    assert.equal(parseDuration('1.4ms'), 1);
    assert.equal(parseDuration('0.0015s'), 2);
  });

  it('refuses a bare number other than 0, as both the server and the CLI always did, suggesting a unit', () => {
    assert.throws(() => parseDuration('30'), { name: 'RangeError', message: /"30" has no unit: write 30s, 30ms/ });
  });

  it('refuses anything else, saying what a duration looks like', () => {
    for (const text of ['', ' ', '1 day', '5 m', '-5s', '1h 30m', '1.s', '5M', 'h', '1e3ms', '5s!', '1w']) {
      assert.throws(() => parseDuration(text), { name: 'RangeError', message: /is not a duration: .*e\.g\. 250ms, 90s, 1\.5h, 1h30m or 2d/ }, text);
    }
    assert.throws(() => parseDuration('99999999999999999d'), /too long/);
  });
});
