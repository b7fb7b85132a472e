import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as limits from '../../src/domain/limits.js';
import { DEFAULT_LEASE_MS, DEFAULT_MAX_ATTEMPTS } from '../../src/domain/limits.js';
import { TASK_STATES } from '../../src/domain/task.js';
import { MsgpackReader } from '../../src/store/msgpack.js';
import { RETRY_DEFAULTS_ARGV, decodeTask, mapTriples } from '../../src/store/taskCodec.js';

const LUA_DIR = join(__dirname, '../../src/store/lua');

function readLua(name: string): string {
  return readFileSync(join(LUA_DIR, `${name}.lua`), 'utf8');
}

/** The Lua includes that hold the record's states, defaults and codec. */
function recordIncludes(): string {
  return ['states', 'defaults', 'record'].map((name) => readLua(`includes/${name}`)).join('\n');
}

/** Every Lua file: the commands and the includes. */
function allLua(): string {
  return ['commands', 'includes']
    .flatMap((dir) => readdirSync(join(LUA_DIR, dir)).map((file) => readFileSync(join(LUA_DIR, dir, file), 'utf8')))
    .join('\n');
}

/**
 * The record's fields as includes/record.lua's header lists them (the schema): `s state, p payload, ...`, where one
 * item may name several fields (`ct/ut/sc create/update/schedule time`).
 */
function schemaFields(): string[] {
  const header = /^-- Fields \(absent means[\s\S]*?\):\n((?:-- {3}.*\n)+)/m.exec(readLua('includes/record'));
  assert.ok(header?.[1], 'includes/record.lua lists the fields under "-- Fields (absent means ...):"');
  const items = header[1].replace(/^-- +/gm, '').replace(/\n/g, ' ').split(/,\s*/);
  return items.flatMap((item) => (item.trim().split(/\s+/)[0] ?? '').split('/'));
}

/** Fields the scripts use: `t.<field>` anywhere, and the keys newTask sets in bulk. */
function fieldsTheScriptsUse(): Set<string> {
  const lua = allLua();
  const used = new Set([...lua.matchAll(/\bt\.([a-z]{1,2})\b/g)].map((match) => match[1] ?? ''));
  const created = /local t = \{([^}]*)\}/.exec(readLua('includes/newTask'));
  for (const key of created?.[1]?.matchAll(/\b([a-z]{1,2}) =/g) ?? []) used.add(key[1] ?? '');
  const retry = /RETRY_FIELDS = \{([^}]*)\}/.exec(readLua('includes/newTask'));
  for (const key of retry?.[1]?.matchAll(/'([a-z]{1,2})'/g) ?? []) used.add(key[1] ?? '');
  return used;
}

/** Fields the server's decoder reads: its table of field codes in taskCodec.ts. */
function fieldsTheServerReads(): Set<string> {
  const codec = readFileSync(join(__dirname, '../../src/store/taskCodec.ts'), 'utf8');
  return new Set([...codec.matchAll(/\bcode\('([a-z]{1,2})'\)/g)].map((match) => match[1] ?? ''));
}

/** Fields only the scripts need; the server skips them when it reads a record. */
const SCRIPTS_ONLY: Readonly<Record<string, string>> = {
  ab: 'attempts before the last operator retry: the attempt budget, which the scripts enforce',
  ll: 'the current lease length, for heartbeats that keep it',
  wf: 'a parent failed by its child, which childFinished.lua revives when the child succeeds after all',
  lt: 'the lease token: the holder has it, a read of the task never shows it',
  q: 'the creation sequence: the pending order, and the cursor of a list',
};

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
    const lua = recordIncludes();
    const line = /^local DEFAULT_MAX_ATTEMPTS, DEFAULT_LEASE_MS\b.*= (\d+), (\d+)/m.exec(lua);
    assert.ok(line, 'includes/defaults.lua declares DEFAULT_MAX_ATTEMPTS and DEFAULT_LEASE_MS on one line');
    assert.equal(Number(line[1]), DEFAULT_MAX_ATTEMPTS);
    assert.equal(Number(line[2]), DEFAULT_LEASE_MS);
  });

  it('is the field list in includes/record.lua: the scripts use no other field, and the server reads them all', () => {
    const schema = schemaFields();
    assert.equal(new Set(schema).size, schema.length, `includes/record.lua lists a field twice: ${schema.join(' ')}`);
    const listed = new Set(schema);
    const used = fieldsTheScriptsUse();
    for (const field of used) assert.ok(listed.has(field), `the scripts use t.${field}, which includes/record.lua does not list`);
    for (const field of listed) assert.ok(used.has(field), `includes/record.lua lists ${field}, which no script uses`);
    const read = fieldsTheServerReads();
    for (const field of read) assert.ok(listed.has(field), `taskCodec.ts reads ${field}, which includes/record.lua does not list`);
    for (const field of listed) {
      assert.ok(
        read.has(field) || field in SCRIPTS_ONLY,
        `taskCodec.ts does not read the record field ${field}: read it, or say in SCRIPTS_ONLY why the server need not`,
      );
    }
    for (const field of Object.keys(SCRIPTS_ONLY)) assert.ok(!read.has(field), `${field} is read by taskCodec.ts after all`);
  });

  it('reads every field left out at its default as the value the scripts and the API assume', () => {
    const lua = recordIncludes();
    const absent = /^-- Fields \(absent means unset, or for ([\s\S]*?) their default/m.exec(lua);
    assert.deepEqual(
      absent?.[1]?.replace(/\n-- /g, ' ').split(/,\s*|\s+and\s+/),
      ['s', 'pr', 'a', 'ma', 'ld', 'll', 'bi', 'bx', 'bm', 'bj'],
      'includes/record.lua names the fields stored only when off their default',
    );
    const bare = decodeTask('q', [Buffer.from('t1'), msgpackRecord({ ct: 1_795_000_000_000 })]);
    assert.equal(bare.state, 'PENDING');
    assert.equal(bare.priority, 0);
    assert.equal(bare.attempt, 0);
    assert.equal(bare.maxAttempts, limits.DEFAULT_MAX_ATTEMPTS);
    assert.equal(bare.leaseDurationMs, limits.DEFAULT_LEASE_MS);
    assert.deepEqual(bare.retryPolicy, {
      initialBackoffMs: limits.DEFAULT_INITIAL_BACKOFF_MS,
      maxBackoffMs: limits.DEFAULT_MAX_BACKOFF_MS,
      multiplier: limits.DEFAULT_BACKOFF_MULTIPLIER,
      jitter: 0,
    });
    // The retry defaults reach the one script that needs them (fail.lua) as arguments, so Lua holds no copy.
    assert.deepEqual(RETRY_DEFAULTS_ARGV, [
      limits.DEFAULT_INITIAL_BACKOFF_MS,
      limits.DEFAULT_MAX_BACKOFF_MS,
      limits.DEFAULT_BACKOFF_MULTIPLIER * 1000,
    ]);
    assert.match(readLua('commands/fail'), /t\.bi or tonumber\(ARGV\[9\]\)/);
    assert.doesNotMatch(allLua(), /\b(DEFAULT_INITIAL_BACKOFF|DEFAULT_MAX_BACKOFF|DEFAULT_BACKOFF_MULTIPLIER)\b/);
  });

  it('orders pending tasks in priority bands laid out for the API\'s priority range', () => {
    const bands = readLua('includes/priorityBand');
    const range = /^local PRIORITY_MIN, PRIORITY_MAX = (-?\d+), (-?\d+)$/m.exec(bands);
    assert.ok(range, 'includes/priorityBand.lua declares PRIORITY_MIN and PRIORITY_MAX on one line');
    assert.equal(Number(range[1]), limits.PRIORITY_MIN, 'PRIORITY_MIN in includes/priorityBand.lua and limits.ts');
    assert.equal(Number(range[2]), limits.PRIORITY_MAX, 'PRIORITY_MAX in includes/priorityBand.lua and limits.ts');
    const band = /^local PRIORITY_BAND = (\d+)/m.exec(bands);
    assert.ok(band?.[1]);
    // The highest band's scores (band number times PRIORITY_BAND plus a sequence below it) stay exact in a double.
    const bandCount = limits.PRIORITY_MAX - limits.PRIORITY_MIN + 1;
    assert.ok(bandCount * Number(band[1]) <= 2 ** 53, `${bandCount} bands of ${band[1]} overflow 2^53`);
    assert.doesNotMatch(allLua(), /for band = 0, \d/, 'the scripts loop over the bands by PRIORITY_MIN and PRIORITY_MAX');
  });

  it('leaves out the state PENDING and update and schedule times equal to the create time, in both decoders', () => {
    const lua = recordIncludes();
    const states = /^local (SCHEDULED, PENDING\b[\w, ]*) = ([\d, ]+)$/m.exec(lua);
    assert.ok(states?.[1] && states[2], 'includes/states.lua numbers the states on one line');
    const numbers = states[2].split(', ').map(Number);
    assert.deepEqual(
      states[1].split(', ').map((name, i) => [name, numbers[i]]),
      TASK_STATES.map((name, i) => [name, i + 1]),
      'the scripts number the states as the server does',
    );
    assert.match(lua, /^ {2}t\.s, t\.ut, t\.sc = t\.s or PENDING, t\.ut or t\.ct, t\.sc or t\.ct$/m, 'decodeTask');

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
