import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/log.js';

function capture(level: 'debug' | 'info', format?: 'json' | 'text'): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const log = createLogger(level, { ...(format ? { format } : {}), write: (line) => lines.push(line) });
  return { lines, log };
}

describe('the log', () => {
  it('writes JSON lines by default: time, level, msg and the fields', () => {
    const { lines, log } = capture('info');
    log.info('baton serving', { grpc: '0.0.0.0:50051' });
    assert.equal(lines.length, 1);
    const parsed = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.deepEqual({ ...parsed, time: typeof parsed.time }, { time: 'string', level: 'info', msg: 'baton serving', grpc: '0.0.0.0:50051' });
  });

  it('writes text for a person: clock, level, message, key=value, quoting values with spaces', () => {
    const { lines, log } = capture('info', 'text');
    log.warn('redis connection error', { error: 'connect ECONNREFUSED 127.0.0.1:1', attempts: 3, queues: ['a', 'b'] });
    log.info('baton stopped');
    assert.match(
      lines[0] ?? '',
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}redis connection error error="connect ECONNREFUSED 127\.0\.0\.1:1" attempts=3 queues=\["a","b"\]\n$/,
    );
    assert.match(lines[1] ?? '', /^\d\d:\d\d:\d\d\.\d{3} INFO {2}baton stopped\n$/);
  });

  it('says which levels it logs, so busy paths build debug fields only when they are wanted', () => {
    const { lines, log } = capture('info');
    assert.equal(log.enabled('debug'), false);
    assert.equal(log.enabled('warn'), true);
    log.debug('not shown');
    assert.deepEqual(lines, []);
    assert.equal(capture('debug').log.enabled('debug'), true);
  });
});
