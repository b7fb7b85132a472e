/**
 * A protobuf reader for the messages Baton decodes by hand on hot paths (taskStreamDecoder.ts on clients,
 * workRequestWire.ts on the server), the counterpart of wireWriter.ts: numbers, strings, bytes views and nested
 * messages, read in place; a message cut short throws.
 */
import type { Timestamp__Output } from './generated/google/protobuf/Timestamp.js';

/** Protobuf wire types, for wireWriter.ts too. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/**
 * Node's Buffer has `utf8Slice`, which `toString('utf8', start, end)` calls after checking its arguments; it is
 * missing from @types/node. protobufjs reads strings with it too.
 */
export type NodeBuffer = Buffer & { utf8Slice(start: number, end: number): string };

/**
 * Reads one message and the messages nested in it: a nested message is read in place up to its end offset
 * (`message()`), as protobufjs does, rather than by a reader of its own.
 */
export class WireReader {
  private at = 0;
  private readonly end: number;

  constructor(private readonly buffer: NodeBuffer) {
    this.end = buffer.length;
  }

  /** Whether the message (or nested message) that ends at `end` has more fields. */
  before(end: number): boolean {
    return this.at < end;
  }

  /** The next field's key: field number * 8 + wire type. */
  key(): number {
    return this.uint32();
  }

  uint32(): number {
    // Most keys and lengths are one byte.
    const first = this.at < this.end ? (this.buffer[this.at] ?? 0) : 128;
    if (first < 128) {
      this.at += 1;
      return first;
    }
    this.varint();
    return this.low;
  }

  int32(): number {
    this.varint();
    return this.low | 0;
  }

  /** int64 as a number (longs: Number), negative numbers included. */
  int64(): number {
    this.varint();
    return (this.high | 0) * 2 ** 32 + this.low;
  }

  bool(): boolean {
    this.varint();
    return this.low !== 0 || this.high !== 0;
  }

  double(): number {
    this.need(8);
    const value = this.buffer.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  string(): string {
    const length = this.uint32();
    this.need(length);
    const value = this.buffer.utf8Slice(this.at, this.at + length);
    this.at += length;
    return value;
  }

  /** A view of the message's bytes, as protobufjs gives. */
  bytes(): Buffer {
    const length = this.uint32();
    this.need(length);
    const value = this.buffer.subarray(this.at, this.at + length);
    this.at += length;
    return value;
  }

  /** The end offset of the nested message that comes next, to read its fields up to. */
  message(): number {
    const length = this.uint32();
    this.need(length);
    return this.at + length;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.need(8);
        this.at += 8;
        return;
      case LENGTH_DELIMITED: {
        const length = this.uint32();
        this.need(length);
        this.at += length;
        return;
      }
      case FIXED32:
        this.need(4);
        this.at += 4;
        return;
      default:
        throw new Error(`protobuf: unsupported wire type ${wireType} at offset ${this.at}`);
    }
  }

  /** The last varint read, as its low and high 32 bits (unsigned). */
  private low = 0;
  private high = 0;

  /** Reads a varint of up to 64 bits into `low` and `high`. */
  private varint(): void {
    let low = 0;
    let high = 0;
    let byte = 128;
    for (let shift = 0; shift < 28 && byte >= 128; shift += 7) {
      byte = this.byte();
      low |= (byte & 127) << shift;
    }
    if (byte >= 128) {
      byte = this.byte();
      low |= (byte & 127) << 28;
      high = (byte & 127) >>> 4;
      for (let shift = 3; shift < 32 && byte >= 128; shift += 7) {
        byte = this.byte();
        high |= (byte & 127) << shift;
      }
      if (byte >= 128) throw new Error(`protobuf: varint longer than 10 bytes at offset ${this.at}`);
    }
    this.low = low >>> 0;
    this.high = high >>> 0;
  }

  private byte(): number {
    if (this.at >= this.end) throw new Error(`protobuf: message truncated at offset ${this.at}`);
    return this.buffer[this.at++] ?? 0;
  }

  private need(bytes: number): void {
    if (this.at + bytes > this.end) throw new Error(`protobuf: message truncated at offset ${this.at}`);
  }
}

/** google.protobuf.Timestamp and Duration. */
export function readTime(reader: WireReader, end: number): Timestamp__Output {
  const time = { seconds: 0, nanos: 0 };
  while (reader.before(end)) {
    const key = reader.key();
    if (key === (1 << 3) + VARINT) time.seconds = reader.int64();
    else if (key === (2 << 3) + VARINT) time.nanos = reader.int32();
    else reader.skip(key & 7);
  }
  return time;
}

/** Unset bytes fields, as proto-loader's defaults give them. */
export const EMPTY = Buffer.alloc(0);
