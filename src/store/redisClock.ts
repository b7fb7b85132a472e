import type { RedisClient } from './redis.js';

/** How often the offset is measured again: clocks drift, and NTP steps them. */
const REMEASURE_MS = 60_000;
/** Samples per measurement; the one with the shortest round trip is kept (its midpoint is the most certain). */
const SAMPLES = 3;
/**
 * Taken off every deadline besides the measurement's own uncertainty: a script that runs this close to its
 * deadline is refused (its caller was about to be answered UNAVAILABLE anyway) rather than let run after it.
 */
const MARGIN_MS = 100;

/**
 * Baton's deadlines in Redis time, for the scripts that refuse to run once their caller stopped waiting
 * (lua/includes/deadline.lua). Scripts judge by Redis's clock (TIME), Baton by its own: the offset between the two
 * is measured with TIME, once at start and again every minute, in the background. Until the first measurement
 * the clocks are taken to agree.
 */
export class RedisClock {
  private offsetMs = 0;
  private uncertaintyMs = 0;
  private measuredAt = -Infinity;
  private measuring: Promise<void> | undefined;

  constructor(private readonly client: RedisClient) {}

  /** `deadline` (Baton's clock, epoch ms) as a Redis time, on the early side. */
  toRedisTime(deadline: number): number {
    if (Date.now() - this.measuredAt > REMEASURE_MS) void this.measure();
    return Math.floor(deadline + this.offsetMs - this.uncertaintyMs - MARGIN_MS);
  }

  /** Measures the offset now (at most one measurement at a time); a failure keeps the last one. */
  measure(): Promise<void> {
    this.measuring ??= this.sample()
      .catch(() => undefined)
      .finally(() => {
        this.measuring = undefined;
      });
    return this.measuring;
  }

  private async sample(): Promise<void> {
    // A failed measurement is not retried before the next period: during an outage it would add a TIME per write.
    this.measuredAt = Date.now();
    let best: { offsetMs: number; roundTripMs: number } | undefined;
    for (let i = 0; i < SAMPLES; i++) {
      const sent = Date.now();
      const [seconds, micros] = await this.client.time();
      const received = Date.now();
      const redisMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const roundTripMs = received - sent;
      if (!best || roundTripMs < best.roundTripMs) best = { offsetMs: redisMs - (sent + received) / 2, roundTripMs };
    }
    if (best) {
      this.offsetMs = best.offsetMs;
      // Redis read its clock somewhere in the round trip: the midpoint is off by at most half of it.
      this.uncertaintyMs = Math.ceil(best.roundTripMs / 2);
    }
  }
}
