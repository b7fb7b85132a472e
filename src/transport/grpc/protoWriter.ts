/**
 * A protobuf writer for the one message the server encodes by hand (claimedTasksWire.ts). It writes what the
 * generated encoders write, byte for byte: fields at their default are left out, negative int32 and int64 values
 * take ten bytes, and a nested message's length is the shortest varint. `key` is the field's tag byte
 * (field number × 8 + wire type), as the generated code spells it.
 */
export class ProtoWriter {
  private buffer: Buffer;
  private at = 0;

  constructor(sizeHint: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(256, sizeHint));
  }

  /** The bytes written; the writer is not used afterwards. */
  finish(): Buffer {
    return this.buffer.subarray(0, this.at);
  }

  /** int32, enum. */
  int32(key: number, value: number): void {
    if (value === 0) return;
    this.tag(key);
    if (value > 0) this.varint32(value);
    else this.varint64(value >>> 0, 0xffffffff);
  }

  /** int64, from a safe integer. */
  int64(key: number, value: number): void {
    if (value === 0) return;
    this.tag(key);
    // Two's complement over 64 bits, from a double: exact for every safe integer.
    const high = Math.floor(value / 0x1_0000_0000);
    this.varint64((value - high * 0x1_0000_0000) >>> 0, high >>> 0);
  }

  bool(key: number, value: boolean): void {
    if (!value) return;
    this.tag(key);
    this.buffer[this.at++] = 1;
  }

  double(key: number, value: number): void {
    if (value === 0) return;
    this.tag(key);
    this.room(8);
    this.buffer.writeDoubleLE(value, this.at);
    this.at += 8;
  }

  string(key: number, value: string): void {
    if (value === '') return;
    this.tag(key);
    const length = value.length;
    // Short ASCII, the usual queue, id, token or type, is copied code by code: cheaper than a call into C++.
    if (length < 128) {
      this.room(length + 1);
      const start = this.at;
      const buffer = this.buffer;
      let at = start + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) break;
        buffer[at++] = code;
      }
      if (i === length) {
        buffer[start] = length;
        this.at = at;
        return;
      }
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varint32(bytes);
    this.room(bytes);
    this.at += this.buffer.write(value, this.at, bytes, 'utf8');
  }

  bytes(key: number, value: Uint8Array | undefined): void {
    if (value === undefined || value.length === 0) return;
    this.tag(key);
    this.varint32(value.length);
    this.room(value.length);
    this.buffer.set(value, this.at);
    this.at += value.length;
  }

  /** Opens a nested message (a map entry too); `end(mark)` closes it. */
  begin(key: number): number {
    this.tag(key);
    this.room(1);
    // One byte is kept for the length: widened in end() when the message is 128 bytes or more.
    return this.at++;
  }

  end(mark: number): void {
    const start = mark + 1;
    const length = this.at - start;
    if (length < 0x80) {
      this.buffer[mark] = length;
      return;
    }
    const extra = varint32Size(length) - 1;
    this.room(extra);
    this.buffer.copyWithin(start + extra, start, this.at);
    const end = this.at + extra;
    this.at = mark;
    this.varint32(length);
    this.at = end;
  }

  /** google.protobuf.Timestamp or Duration from epoch (or elapsed) milliseconds, as convert.ts maps them. */
  time(key: number, ms: number): void {
    const mark = this.begin(key);
    const seconds = Math.floor(ms / 1000);
    this.int64(8, seconds);
    this.int32(16, (ms - seconds * 1000) * 1e6);
    this.end(mark);
  }

  private tag(key: number): void {
    this.room(11);
    if (key < 0x80) this.buffer[this.at++] = key;
    else this.varint32(key);
  }

  private varint32(value: number): void {
    this.room(5);
    const buffer = this.buffer;
    let rest = value >>> 0;
    while (rest > 0x7f) {
      buffer[this.at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buffer[this.at++] = rest;
  }

  private varint64(low: number, high: number): void {
    this.room(10);
    const buffer = this.buffer;
    let lo = low;
    let hi = high;
    while (hi !== 0) {
      buffer[this.at++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      buffer[this.at++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buffer[this.at++] = lo;
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }
}

function varint32Size(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x20_0000 ? 3 : value < 0x1000_0000 ? 4 : 5;
}
