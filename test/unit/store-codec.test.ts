import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_LEASE_MS, DEFAULT_MAX_ATTEMPTS } from '../../src/domain/limits.js';
import { TASK_STATES } from '../../src/domain/task.js';
import { MsgpackReader } from '../../src/store/msgpack.js';
import { decodeTask, mapTriples } from '../../src/store/taskCodec.js';

/** A msgpack map of one-or-two-letter keys to small strings or numbers below 2^53, as Lua cmsgpack writes it. */
function msgpackRecord(fields: Record<string, string | number>): Buffer {
  const parts = [Buffer.from([0x80 | Object.keys(fields).length])];
  for (const [key, value] of Object.entries(fields)) {
    parts.push(Buffer.from([0xa0 | key.length]), Buffer.from(key));
    if (typeof value === 'string') {
      parts.push(Buffer.from([0xa0 | value.length]), Buffer.from(value));
    } else {
      const uint64 = Buffer.alloc(9);
      uint64[0] = 0xcf;
      uint64.writeBigUInt64BE(BigInt(value), 1);
      parts.push(value < 128 ? Buffer.from([value]) : uint64);
    }
  }
  return Buffer.concat(parts);
}

describe('the stored task record', () => {
  it('has the same defaults in the scripts as in the server, since fields at their default are not stored', () => {
    const lua = readFileSync(join(__dirname, '../../src/store/lua/includes/queue.lua'), 'utf8');
    const line = /^local DEFAULT_MAX_ATTEMPTS, DEFAULT_LEASE_MS\b.*= (\d+), (\d+)/m.exec(lua);
    assert.ok(line, 'queue.lua declares DEFAULT_MAX_ATTEMPTS and DEFAULT_LEASE_MS on one line');
    assert.equal(Number(line[1]), DEFAULT_MAX_ATTEMPTS);
    assert.equal(Number(line[2]), DEFAULT_LEASE_MS);
  });

  it('leaves out the state PENDING and update and schedule times equal to the create time, in both decoders', () => {
    const lua = readFileSync(join(__dirname, '../../src/store/lua/includes/queue.lua'), 'utf8');
    const states = /^local (SCHEDULED, PENDING\b[\w, ]*) = ([\d, ]+)$/m.exec(lua);
    assert.ok(states?.[1] && states[2], 'queue.lua numbers the states on one line');
    const numbers = states[2].split(', ').map(Number);
    assert.deepEqual(
      states[1].split(', ').map((name, i) => [name, numbers[i]]),
      TASK_STATES.map((name, i) => [name, i + 1]),
      'the scripts number the states as the server does',
    );
    assert.match(lua, /^ {2}t\.s, t\.ut, t\.sc = t\.s or PENDING, t\.ut or t\.ct, t\.sc or t\.ct$/m, 'loadTask');

    const created = 1_795_000_000_123;
    const fresh = decodeTask('q', [Buffer.from('t1'), msgpackRecord({ p: 'x', ct: created, q: 7 })]);
    assert.equal(fresh.state, 'PENDING');
    assert.equal(fresh.createTime, created);
    assert.equal(fresh.updateTime, created);
    assert.equal(fresh.scheduleTime, created);

    const stored = msgpackRecord({ s: 1, ct: created, ut: created + 5, sc: created + 60_000, q: 7 });
    const changed = decodeTask('q', [Buffer.from('t1'), stored]);
    assert.equal(changed.state, 'SCHEDULED');
    assert.equal(changed.updateTime, created + 5);
    assert.equal(changed.scheduleTime, created + 60_000);
  });

  it('is read whatever msgpack width Lua chose for a number, and skips values of unknown fields', () => {
    // { a: -1, b: 2^40 + 5, c: -2^33, d: 1.5, e: { x: [1, "yy"] }, f: true, g: "héllo" }
    const record = Buffer.concat([
      Buffer.from([0x87]),
      Buffer.from([0xa1, 0x61, 0xff]),
      Buffer.from([0xa1, 0x62, 0xcf, 0, 0, 0x01, 0, 0, 0, 0, 0x05]),
      Buffer.from([0xa1, 0x63, 0xd3, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0]),
      Buffer.from([0xa1, 0x64, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]),
      Buffer.from([0xa1, 0x65, 0x81, 0xa1, 0x78, 0x92, 0x01, 0xa2, 0x79, 0x79]),
      Buffer.from([0xa1, 0x66, 0xc3]),
      Buffer.from([0xa1, 0x67, 0xd9, 6]),
      Buffer.from('héllo'),
    ]);
    const reader = new MsgpackReader(record);
    const seen: Record<string, unknown> = {};
    for (let fields = reader.mapLength(); fields > 0; fields--) {
      const key = String.fromCharCode(reader.keyCode());
      if (key === 'e') reader.skip();
      else if (key === 'g') seen[key] = reader.text();
      else seen[key] = reader.number();
    }
    assert.deepEqual(seen, { a: -1, b: 2 ** 40 + 5, c: -(2 ** 33), d: 1.5, f: 1, g: 'héllo' });
  });

  it('refuses a record cut short instead of reading past its end', () => {
    const reader = new MsgpackReader(Buffer.from([0x81, 0xa1, 0x61, 0xcd, 0x01]));
    reader.mapLength();
    reader.keyCode();
    assert.throws(() => reader.number(), /RangeError|out of range|ends early/i);
    const text = new MsgpackReader(Buffer.from([0x81, 0xa1, 0x61, 0xa5, 0x68, 0x69]));
    text.mapLength();
    text.keyCode();
    assert.throws(() => text.text(), /ends early/);
  });
});

describe('batch replies', () => {
  it('are read three values per task, in order', () => {
    const seen = mapTriples([Buffer.from('a'), 1, Buffer.from('x'), Buffer.from('b'), 2, Buffer.from('y')], (first, second, third, i) =>
      [i, String(first), String(second), String(third)].join(':'),
    );
    assert.deepEqual(seen, ['0:a:1:x', '1:b:2:y']);
  });

  it('that are not in threes are refused as malformed, before any task is read', () => {
    let read = 0;
    assert.throws(() => {
      mapTriples([Buffer.from('a'), 1, Buffer.from('x'), Buffer.from('b')], () => {
        read += 1;
      });
    }, /malformed script reply: 4 values, not groups of 3/);
    assert.equal(read, 0);
  });
});
