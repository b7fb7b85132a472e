import { randomBytes } from 'node:crypto';

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
    lastRandom = BigInt(`0x${randomBytes(10).toString('hex')}`);
  }
  return encode(BigInt(lastTime), 10) + encode(lastRandom, 16);
}
