import { randomFillSync } from 'node:crypto';

/**
 * Cryptographically random bytes, drawn from a pool refilled 4 KiB at a time: one call into the CSPRNG per few
 * hundred ids or lease tokens instead of one each (like crypto.randomUUID's own cache). Each byte is handed out once.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

export function randomBytesPooled(size: number): Buffer {
  if (size > pool.length) throw new RangeError(`at most ${pool.length} random bytes at a time`);
  if (poolOffset + size > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolOffset, poolOffset + size));
  poolOffset += size;
  return bytes;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_BYTES = 10;

let lastTime = -1;
/** The random part of the last id, 80 bits as 10 bytes, most significant first. */
const lastRandom = new Uint8Array(RANDOM_BYTES);

/** 48 bits of milliseconds as 10 characters (exact: a double holds them), most significant first. */
function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD.charAt(ms % 32) + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/** The 80 random bits as 16 characters of 5 bits, most significant first. */
function encodeRandom(): string {
  let out = '';
  let bits = 0;
  let pending = 0;
  for (const byte of lastRandom) {
    pending = (pending << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD.charAt((pending >> bits) & 31);
    }
    pending &= (1 << bits) - 1;
  }
  return out;
}

/** Adds one to the random part, wrapping to zero past its largest value. */
function incrementRandom(): void {
  for (let i = RANDOM_BYTES - 1; i >= 0; i--) {
    lastRandom[i] = ((lastRandom[i] ?? 0) + 1) & 0xff;
    if (lastRandom[i] !== 0) return;
  }
}

/**
 * A ULID: 48 bits of milliseconds and 80 random bits in Crockford base32, 26 characters that sort by creation
 * time. Within one millisecond the random part is incremented, so ids from one process sort in creation order.
 * Encoded with plain numbers and bytes rather than BigInt: every submitted task without an id of its own takes one.
 */
export function newTaskId(now = Date.now()): string {
  if (now <= lastTime) {
    incrementRandom();
  } else {
    lastTime = now;
    lastRandom.set(randomBytesPooled(RANDOM_BYTES));
  }
  return encodeTime(lastTime) + encodeRandom();
}
