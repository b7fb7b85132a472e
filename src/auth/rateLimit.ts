/** A principal's call rate: `callsPerSecond` on average, up to `burst` at once after a quiet spell. */
export interface CallRate {
  callsPerSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

/** Principals' buckets kept at most; past that the quietest are dropped (a dropped bucket starts full again). */
const BUCKETS_MAX = 10_000;

/**
 * Token buckets, one per principal name, in this replica's memory: with N replicas a principal may make up to N
 * times its rate in all. A bucket starts full (`burst` calls) and refills at `callsPerSecond`. Kept by name, so a
 * reload of the principals file (a rotated token, a changed rate) keeps what the principal has used.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one call from the principal's bucket: 0 when allowed, else how many ms until one is. */
  take(principal: string, rate: CallRate): number {
    const now = this.now();
    let bucket = this.buckets.get(principal);
    if (!bucket) {
      if (this.buckets.size >= BUCKETS_MAX) this.dropFullest(now, rate);
      bucket = { tokens: rate.burst, at: now };
      this.buckets.set(principal, bucket);
    }
    bucket.tokens = Math.min(rate.burst, bucket.tokens + ((now - bucket.at) / 1000) * rate.callsPerSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / rate.callsPerSecond) * 1000);
  }

  /** Forgets the buckets that have been refilling longest (they would be full or nearly). */
  private dropFullest(now: number, rate: CallRate): void {
    const quiet = now - (rate.burst / rate.callsPerSecond) * 1000;
    for (const [name, bucket] of this.buckets) {
      if (bucket.at <= quiet || this.buckets.size >= BUCKETS_MAX) this.buckets.delete(name);
      if (this.buckets.size < BUCKETS_MAX / 2) return;
    }
  }
}
