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
const RANDOM_BITS = 80n;

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = CROCKFORD.charAt(Number(value & 31n)) + out;
    value >>= 5n;
  }
  return out;
}

let lastTime = -1;
let lastRandom = 0n;

/**
 * A ULID: 48 bits of milliseconds and 80 random bits in Crockford base32, 26 characters that sort by creation
 * time. Within one millisecond the random part is incremented, so ids from one process sort in creation order.
 */
export function newTaskId(now = Date.now()): string {
  if (now <= lastTime) {
    lastRandom = (lastRandom + 1n) & ((1n << RANDOM_BITS) - 1n);
  } else {
    lastTime = now;
    lastRandom = BigInt(`0x${randomBytesPooled(10).toString('hex')}`);
  }
  return encode(BigInt(lastTime), 10) + encode(lastRandom, 16);
}
