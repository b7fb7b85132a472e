import { WIRE } from './wirePlan.js';
import type { FieldPlan, MessagePlan } from './wirePlan.js';

/** Why a message was refused before decoding: shown to the client as INVALID_ARGUMENT. */
export class WireRefusal extends Error {}

/** Fields a message may carry that this server does not know (a newer client's); more is abuse, not skew. */
export const UNKNOWN_FIELDS_MAX = 1000;

const DURATION_SECONDS_MAX = 315_576_000_000;
const TIMESTAMP_SECONDS_MIN = -62_135_596_800;
const TIMESTAMP_SECONDS_MAX = 253_402_300_799;
const NANOS_MAX = 999_999_999;

/**
 * Walks a protobuf message's bytes against its plan without building anything: it counts the entries of repeated
 * and map fields and stops at the first one over its limit, checks wire types, enum values and the ranges of
 * Duration and Timestamp, and finds truncation. Its cost is bounded by the limits, not by the message, so the
 * generated decoder only ever sees messages whose size of work is known.
 */
export function scanMessage(plan: MessagePlan, bytes: Uint8Array): void {
  new Scanner(bytes).message(plan, 0, bytes.length, undefined);
}

/** Where a nested message sits, for a refusal's text: its field in the message around it, and its entry there. */
interface PathNode {
  parent: PathNode | undefined;
  field: FieldPlan;
  /** Its entry in a repeated field; -1 for a singular one. */
  entry: number;
}

/** "request" for the top message, else e.g. "completions[3]" or "start.lease_duration". */
function messagePath(node: PathNode | undefined): string {
  if (node === undefined) return '';
  const parent = messagePath(node.parent);
  const name = parent === '' ? node.field.name : `${parent}.${node.field.name}`;
  return node.entry >= 0 ? `${name}[${node.entry}]` : name;
}

/**
 * Scans every message of a request on the way in, so the path a refusal names is only spelled out when there is
 * one: the scanner keeps where it is (the message, and the field being read) rather than a string per field.
 */
class Scanner {
  private pos = 0;
  /** The value of the last varint read, split so 64-bit values keep their sign without BigInt. */
  private lo = 0;
  private hi = 0;
  /** The message being read (undefined: the request itself). */
  private at: PathNode | undefined;
  /** The field whose value is being read: its number (0 between fields) and its plan (undefined when unknown). */
  private number = 0;
  private field: FieldPlan | undefined;

  constructor(private readonly bytes: Uint8Array) {}

  /** Refuses the message, naming the field being read if any. */
  private fail(why: string): never {
    const path = messagePath(this.at);
    const field = this.field;
    let where = path;
    if (this.number !== 0) {
      where = field === undefined ? `${path || 'request'} field ${this.number}` : path === '' ? field.name : `${path}.${field.name}`;
    }
    throw new WireRefusal(`${where === '' ? 'request' : where}: ${why}`);
  }

  private failMessage(why: string): never {
    this.number = 0;
    this.fail(why);
  }

  private varint(end: number): void {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= end) this.fail('is truncated (a varint runs past the end)');
      const byte = this.bytes[this.pos++] ?? 0;
      const bits = byte & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >> 4;
      } else hi |= bits << (shift - 32);
      if ((byte & 0x80) === 0) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    this.fail('has a varint longer than 10 bytes');
  }

  /** The last varint as a signed 64-bit number (exact within 2^53, which covers every range checked). */
  private int64(): number {
    return (this.hi | 0) * 0x1_0000_0000 + this.lo;
  }

  message(plan: MessagePlan, start: number, end: number, node: PathNode | undefined): void {
    const outer = this.at;
    this.at = node;
    this.number = 0;
    this.pos = start;
    const counts = new Array<number>(plan.fields.size).fill(0);
    let unknown = 0;
    let seconds = 0;
    let nanos = 0;
    while (this.pos < end) {
      this.number = 0;
      this.varint(end);
      const number = this.lo >>> 3;
      const wireType = this.lo & 7;
      if (this.hi !== 0 || number === 0) this.fail('has an invalid field number');
      const field = plan.fields.get(number);
      this.number = number;
      this.field = field;
      const valueStart = this.skipValue(wireType, end);
      if (field === undefined) {
        if (++unknown > UNKNOWN_FIELDS_MAX) this.failMessage(`has more than ${UNKNOWN_FIELDS_MAX} unknown fields`);
        continue;
      }
      const valueEnd = this.pos;
      const count = (counts[field.index] ?? 0) + this.entries(field, wireType, valueStart, valueEnd);
      counts[field.index] = count;
      if (count > field.limit) {
        this.fail(field.repeated ? `has more than ${field.limit} entries; the limit is ${field.limit}` : 'appears more than once too often');
      }
      if (field.message !== undefined) {
        this.message(field.message, valueStart, valueEnd, { parent: node, field, entry: field.repeated ? count - 1 : -1 });
        this.at = node;
        this.pos = valueEnd;
      } else if (plan.wellKnown !== undefined && wireType === WIRE.VARINT) {
        this.pos = valueStart;
        this.varint(valueEnd);
        if (number === 1) seconds = this.int64();
        if (number === 2) nanos = this.lo | 0;
        this.pos = valueEnd;
      }
    }
    if (this.pos !== end) this.failMessage('is truncated (a field runs past the end of its message)');
    if (plan.wellKnown === 'duration') checkDuration(this, seconds, nanos);
    if (plan.wellKnown === 'timestamp') checkTimestamp(this, seconds, nanos);
    this.at = outer;
  }

  /** Moves past one value of `wireType`, refusing types protobuf 3 does not have; returns where its content starts. */
  private skipValue(wireType: number, end: number): number {
    const start = this.pos;
    switch (wireType) {
      case WIRE.VARINT:
        this.varint(end);
        return start;
      case WIRE.I64:
        this.pos += 8;
        break;
      case WIRE.I32:
        this.pos += 4;
        break;
      case WIRE.LEN: {
        this.varint(end);
        if (this.hi !== 0 || this.lo > end - this.pos) this.fail('is truncated (its length runs past the end)');
        const content = this.pos;
        this.pos += this.lo;
        return content;
      }
      default:
        this.fail(`has wire type ${wireType}, which proto3 does not use`);
    }
    if (this.pos > end) this.fail('is truncated');
    return start;
  }

  /** How many entries one occurrence holds (a packed run holds many), checking wire type and enum values. */
  private entries(field: FieldPlan, wireType: number, start: number, end: number): number {
    if (field.packable && wireType === WIRE.LEN) {
      if (field.wireType !== WIRE.VARINT) {
        const size = field.wireType === WIRE.I64 ? 8 : 4;
        if ((end - start) % size !== 0) this.fail('is truncated (a packed run of fixed-size values)');
        return (end - start) / size;
      }
      let n = 0;
      this.pos = start;
      while (this.pos < end) {
        this.varint(end);
        this.checkEnum(field);
        n++;
      }
      return n;
    }
    if (wireType !== field.wireType) this.fail(`has wire type ${wireType}; expected ${field.wireType}`);
    if (field.enumValues !== undefined) {
      this.pos = start;
      this.varint(end);
      this.checkEnum(field);
    }
    return 1;
  }

  private checkEnum(field: FieldPlan): void {
    const value = this.lo | 0;
    if (field.enumValues !== undefined && (this.hi !== (value < 0 ? 0xffffffff : 0) || !field.enumValues.has(value))) {
      this.fail(`has unknown enum value ${value}`);
    }
  }

  /** Refuses the message being read for its field `part` (e.g. "seconds"), once the whole message has been read. */
  refuse(part: string, why: string): never {
    throw new WireRefusal(`${messagePath(this.at)}.${part}: ${why}`);
  }
}

function checkDuration(scanner: Scanner, seconds: number, nanos: number): void {
  if (Math.abs(seconds) > DURATION_SECONDS_MAX) {
    scanner.refuse('seconds', `must be within ±${DURATION_SECONDS_MAX}, got ${seconds}`);
  }
  if (Math.abs(nanos) > NANOS_MAX) scanner.refuse('nanos', `must be from -${NANOS_MAX} to ${NANOS_MAX}, got ${nanos}`);
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    scanner.refuse('nanos', 'must have the sign of seconds');
  }
}

function checkTimestamp(scanner: Scanner, seconds: number, nanos: number): void {
  if (seconds < TIMESTAMP_SECONDS_MIN || seconds > TIMESTAMP_SECONDS_MAX) {
    scanner.refuse('seconds', `must be a time from year 1 to 9999, got ${seconds}`);
  }
  if (nanos < 0 || nanos > NANOS_MAX) scanner.refuse('nanos', `must be from 0 to ${NANOS_MAX}, got ${nanos}`);
}
