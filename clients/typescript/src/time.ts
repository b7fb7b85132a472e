import type { Duration, Timestamp } from './contract.js';

/** A protobuf Duration from milliseconds. */
export function durationFromMs(ms: number): Duration {
  const whole = Math.floor(ms);
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}

/** Milliseconds from a protobuf Duration (0 when unset). */
export function durationToMs(duration: Partial<Duration> | null | undefined): number {
  return duration ? (duration.seconds ?? 0) * 1000 + (duration.nanos ?? 0) / 1e6 : 0;
}

/** Milliseconds since the epoch from a protobuf Timestamp, or undefined when unset. */
export function timestampToMs(timestamp: Partial<Timestamp> | null | undefined): number | undefined {
  return timestamp ? (timestamp.seconds ?? 0) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6) : undefined;
}

/** A protobuf Timestamp from milliseconds since the epoch. */
export function timestampFromMs(ms: number): Timestamp {
  const whole = Math.floor(ms);
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}
