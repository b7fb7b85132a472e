import { WIRE } from '../../src/transport/grpc/wirePlan.js';
import type { FieldPlan, MessagePlan } from '../../src/transport/grpc/wirePlan.js';

/** A small seeded generator, so a failing case can be replayed from its seed. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

function varint(value: bigint): number[] {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? byte : byte | 0x80);
  } while (v !== 0n);
  return out;
}

const tag = (field: number, wireType: number): number[] => varint(BigInt((field << 3) | wireType));
const len = (field: number, bytes: number[]): number[] => [...tag(field, WIRE.LEN), ...varint(BigInt(bytes.length)), ...bytes];

/** Edge values of every integer type, of enums and of Duration/Timestamp parts. */
const BOUNDARY_INTS = [0n, 1n, -1n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n, 2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n), 99n, 1_000_000_000n, -1_000_000_000n, 315_576_000_001n, 253_402_300_800n];
const BOUNDARY_STRINGS: number[][] = [
  [],
  [0x61],
  Array.from({ length: 129 }, () => 0x78),
  [0x00],
  [0xff, 0xfe],
  [...Buffer.from('{slot}')],
  [...Buffer.from('a b')],
  [...Buffer.from('\u001b[31mred')],
  [...Buffer.from('bnVsbA')],
];

function scalar(rng: Rng, field: FieldPlan, number: number): number[] {
  switch (field.wireType) {
    case WIRE.VARINT:
      return [...tag(number, WIRE.VARINT), ...varint(rng.pick(BOUNDARY_INTS))];
    case WIRE.I64:
      return [...tag(number, WIRE.I64), ...Array.from({ length: 8 }, () => rng.int(256))];
    case WIRE.I32:
      return [...tag(number, WIRE.I32), ...Array.from({ length: 4 }, () => rng.int(256))];
    default:
      return len(number, rng.pick(BOUNDARY_STRINGS));
  }
}

/** A message following the plan with boundary values in every field it sets; sometimes past a limit. */
export function boundaryMessage(rng: Rng, plan: MessagePlan, depth = 0): number[] {
  const out: number[] = [];
  for (const [number, field] of plan.fields) {
    if (rng.next() < 0.4) continue;
    const pastLimit = field.repeated && rng.next() < 0.1;
    const times = field.repeated ? (pastLimit ? field.limit + 1 : 1 + rng.int(3)) : 1;
    for (let i = 0; i < times; i++) {
      // Past a limit the elements are empty: a message that nests itself (a flow's children) would otherwise grow
      // as the limit to the power of the depth.
      const nested = (): number[] => (depth < 4 && !pastLimit && field.message ? boundaryMessage(rng, field.message, depth + 1) : []);
      if (field.message !== undefined) out.push(...len(number, nested()));
      else out.push(...scalar(rng, field, number));
    }
  }
  return out;
}

/** Every field set with a wire type other than its own. */
export function wrongWireTypes(rng: Rng, plan: MessagePlan): number[] {
  const out: number[] = [];
  for (const [number, field] of plan.fields) {
    const wrong = rng.pick([WIRE.VARINT, WIRE.I64, WIRE.LEN, WIRE.I32, 3, 4, 6, 7].filter((w) => w !== field.wireType));
    if (wrong === WIRE.LEN) out.push(...len(number, [1, 2, 3]));
    else if (wrong === WIRE.VARINT) out.push(...tag(number, wrong), 1);
    else if (wrong === WIRE.I64) out.push(...tag(number, wrong), 0, 0, 0, 0, 0, 0, 0, 0);
    else if (wrong === WIRE.I32) out.push(...tag(number, wrong), 0, 0, 0, 0);
    else out.push(...tag(number, wrong));
  }
  return out;
}

export type Kind = 'random bytes' | 'boundary values' | 'wrong wire types' | 'truncated' | 'bit flips';
export const KINDS: readonly Kind[] = ['random bytes', 'boundary values', 'wrong wire types', 'truncated', 'bit flips'];

/** One malformed (or merely odd) request of the given kind. */
export function malformed(rng: Rng, plan: MessagePlan, kind: Kind): Buffer {
  switch (kind) {
    case 'random bytes':
      return Buffer.from(Array.from({ length: rng.int(64) }, () => rng.int(256)));
    case 'boundary values':
      return Buffer.from(boundaryMessage(rng, plan));
    case 'wrong wire types':
      return Buffer.from(wrongWireTypes(rng, plan));
    case 'truncated': {
      const whole = boundaryMessage(rng, plan);
      return Buffer.from(whole.slice(0, whole.length === 0 ? 0 : rng.int(whole.length)));
    }
    case 'bit flips': {
      const bytes = boundaryMessage(rng, plan);
      for (let i = 0; i < 1 + rng.int(3) && bytes.length > 0; i++) {
        const at = rng.int(bytes.length);
        bytes[at] = (bytes[at] ?? 0) ^ (1 << rng.int(8));
      }
      return Buffer.from(bytes);
    }
  }
}
