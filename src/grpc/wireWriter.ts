import { FIXED64, LENGTH_DELIMITED, VARINT } from './wireReader.js';

/** A nested message's length is written in front of it once known: this many bytes are kept free for it. */
const LENGTH_ROOM = 5;

/**
 * A protobuf writer for the messages Baton encodes by hand on hot paths (taskWire.ts, workRequestWire.ts): fields
 * at their default are left out, as protobufjs does, and nested messages get their length in front once known.
 */
export class WireWriter {
  private buffer: Buffer;
  private at = 0;

  constructor(sizeHint: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(256, sizeHint));
  }

  finish(): Buffer {
    return this.buffer.subarray(0, this.at);
  }

  uint(field: number, value: number): void {
    if (value === 0) return;
    this.key(field, VARINT);
    this.varint(value);
  }

  /** int32/int64: negative numbers take ten bytes, as the protobuf spec says. */
  int(field: number, value: number): void {
    if (value >= 0) {
      this.uint(field, value);
      return;
    }
    this.key(field, VARINT);
    // Two's complement over 64 bits, from a double: exact for every safe integer.
    const high = Math.floor(value / 2 ** 32);
    this.varint64(value - high * 2 ** 32, high >>> 0);
  }

  bool(field: number, value: boolean): void {
    if (!value) return;
    this.key(field, VARINT);
    this.varint(1);
  }

  double(field: number, value: number): void {
    if (value === 0) return;
    this.key(field, FIXED64);
    this.room(8);
    this.buffer.writeDoubleLE(value, this.at);
    this.at += 8;
  }

  string(field: number, value: string, always = false): void {
    if (value === '' && !always) return;
    this.key(field, LENGTH_DELIMITED);
    const length = Buffer.byteLength(value);
    this.varint(length);
    this.room(length);
    this.at += this.buffer.write(value, this.at, 'utf8');
  }

  bytes(field: number, value: Buffer | undefined): void {
    if (!value || value.length === 0) return;
    this.key(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.room(value.length);
    this.at += value.copy(this.buffer, this.at);
  }

  /** Opens a nested message; close it with `end(mark)`. */
  begin(field: number): number {
    this.key(field, LENGTH_DELIMITED);
    this.room(LENGTH_ROOM);
    const mark = this.at;
    this.at += LENGTH_ROOM;
    return mark;
  }

  end(mark: number): void {
    const start = mark + LENGTH_ROOM;
    const length = this.at - start;
    const after = this.at;
    this.at = mark;
    this.varint(length);
    if (this.at !== start) {
      this.buffer.copyWithin(this.at, start, after);
    }
    this.at += length;
  }

  /** google.protobuf.Timestamp and Duration from milliseconds. */
  time(field: number, ms: number): void {
    const mark = this.begin(field);
    const seconds = Math.floor(ms / 1000);
    this.int(1, seconds);
    this.int(2, (ms - seconds * 1000) * 1_000_000);
    this.end(mark);
  }

  private key(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number): void {
    this.varint64(value >>> 0, Math.floor(value / 2 ** 32) >>> 0);
  }

  private varint64(low: number, high: number): void {
    this.room(10);
    let lo = low;
    let hi = high;
    while (hi !== 0) {
      this.buffer[this.at++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      this.buffer[this.at++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    this.buffer[this.at++] = lo;
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }
}
