/**
 * Reads the msgpack that Redis's Lua cmsgpack writes for a task record: one map of short string keys to numbers,
 * strings and booleans. Sequential and allocation-free except for the values it returns; a value of a type the
 * record never holds (an array, a map) is skipped whole, so a field added by a newer replica never breaks reading.
 */
export class MsgpackReader {
  private at = 0;

  constructor(private readonly data: Buffer) {}

  /** The number of key/value pairs of the map that starts here. */
  mapLength(): number {
    const lead = this.byte();
    if (lead >= 0x80 && lead <= 0x8f) return lead & 0x0f;
    if (lead === 0xde) return this.uint(2);
    if (lead === 0xdf) return this.uint(4);
    throw this.malformed(lead, 'a map');
  }

  /** A key of one or two ASCII bytes as first byte + 256 × second (matching `code` in taskCodec); -1 otherwise. */
  keyCode(): number {
    const length = this.stringLength();
    const start = this.take(length);
    if (length === 1) return this.data[start] ?? -1;
    if (length === 2) return (this.data[start] ?? 0) + (this.data[start + 1] ?? 0) * 256;
    return -1;
  }

  number(): number {
    const lead = this.byte();
    if (lead <= 0x7f) return lead;
    if (lead >= 0xe0) return lead - 0x100;
    switch (lead) {
      case 0xc2: return 0; // false
      case 0xc3: return 1; // true
      case 0xcc: return this.uint(1);
      case 0xcd: return this.uint(2);
      case 0xce: return this.uint(4);
      case 0xcf: return this.uint(4) * 2 ** 32 + this.uint(4);
      case 0xd0: return this.signed(1);
      case 0xd1: return this.signed(2);
      case 0xd2: return this.signed(4);
      case 0xd3: return this.signed(4) * 2 ** 32 + this.uint(4);
      case 0xca: return this.float(4);
      case 0xcb: return this.float(8);
      default: throw this.malformed(lead, 'a number');
    }
  }

  /** A string's bytes, sharing the reply's memory. */
  bytes(): Buffer {
    const length = this.stringLength();
    const start = this.take(length);
    return this.data.subarray(start, this.at);
  }

  text(): string {
    const length = this.stringLength();
    const start = this.take(length);
    return this.data.toString('utf8', start, this.at);
  }

  /** Steps over one value of any type. */
  skip(): void {
    const lead = this.data[this.at] ?? 0;
    if ((lead >= 0xa0 && lead <= 0xbf) || (lead >= 0xd9 && lead <= 0xdb) || (lead >= 0xc4 && lead <= 0xc6)) {
      this.bytes();
    } else if ((lead >= 0x90 && lead <= 0x9f) || lead === 0xdc || lead === 0xdd) {
      this.at += 1;
      let items = lead === 0xdc ? this.uint(2) : lead === 0xdd ? this.uint(4) : lead & 0x0f;
      for (; items > 0; items--) this.skip();
    } else if ((lead >= 0x80 && lead <= 0x8f) || lead === 0xde || lead === 0xdf) {
      for (let pairs = this.mapLength() * 2; pairs > 0; pairs--) this.skip();
    } else if (lead === 0xc0) {
      this.at += 1;
    } else {
      this.number();
    }
  }

  private stringLength(): number {
    const lead = this.byte();
    if (lead >= 0xa0 && lead <= 0xbf) return lead & 0x1f;
    if (lead === 0xd9 || lead === 0xc4) return this.uint(1);
    if (lead === 0xda || lead === 0xc5) return this.uint(2);
    if (lead === 0xdb || lead === 0xc6) return this.uint(4);
    throw this.malformed(lead, 'a string');
  }

  /** Steps over `length` bytes; returns where they start. */
  private take(length: number): number {
    const start = this.at;
    if (start + length > this.data.length) throw new Error('malformed task record: ends early');
    this.at += length;
    return start;
  }

  private byte(): number {
    const value = this.data[this.at];
    if (value === undefined) throw new Error('malformed task record: ends early');
    this.at += 1;
    return value;
  }

  private uint(size: 1 | 2 | 4): number {
    const value = this.data.readUIntBE(this.at, size);
    this.at += size;
    return value;
  }

  private signed(size: 1 | 2 | 4): number {
    const value = this.data.readIntBE(this.at, size);
    this.at += size;
    return value;
  }

  private float(size: 4 | 8): number {
    const value = size === 4 ? this.data.readFloatBE(this.at) : this.data.readDoubleBE(this.at);
    this.at += size;
    return value;
  }

  private malformed(lead: number, expected: string): Error {
    return new Error(`malformed task record: byte 0x${lead.toString(16)} at ${this.at - 1} where ${expected} belongs`);
  }
}
