/** Histogram buckets, in seconds. */

/** Task wait and run times: from 1 ms (a worker already polling) to a day (a backlog or a long batch job). */
export const TASK_SECONDS_BUCKETS = [
  0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 10800, 43200, 86400,
];

/** gRPC handling: sub-millisecond reads up to ClaimTasks long polls (at most 60 s of waiting). */
export const GRPC_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** One Redis script or command: a loopback round trip up to the command timeout. */
export const REDIS_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A schedule tick's delay: a runner pass (a fraction of a second) up to catch-up after a day of downtime. */
export const SCHEDULE_DELAY_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400];
