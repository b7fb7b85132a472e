/** The documented limits of the API. Validation messages quote these. */
export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Printable ASCII without space or braces (braces would let a client steer the cluster slot). */
export const TASK_ID_PATTERN = /^[!-z|~]{1,128}$/;
export const WORKER_ID_PATTERN = /^[!-~]{1,128}$/;
/** A task type: printable ASCII without spaces, possibly empty (untyped). */
export const TASK_TYPE_PATTERN = /^[!-~]{0,128}$/;
export const CONCURRENCY_KEY_PATTERN = /^[!-~]{1,128}$/;
/** The most a queue's concurrency_key_limit may be. */
export const CONCURRENCY_KEY_LIMIT_MAX = 1_000_000;
/** The most claims per period a claim rate limit may allow. */
export const RATE_LIMIT_CLAIMS_MAX = 1_000_000;
/** A W3C traceparent of version 00 (later versions are read as 00 by the spec, so their extra fields are refused here). */
export const TRACEPARENT_PATTERN = /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
/** The W3C tracestate header's advised limit; printable ASCII (the spec's list members use no other characters). */
export const TRACESTATE_MAX_LENGTH = 512;
export const TRACESTATE_PATTERN = /^[ -~]*$/;

/** The scripts' priority bands are laid out for this range (lua/includes/priorityBand.lua). */
export const PRIORITY_MIN = -9;
export const PRIORITY_MAX = 9;
export const MAX_ATTEMPTS_MIN = 1;
export const MAX_ATTEMPTS_MAX = 1000;

export const SECOND_MS = 1000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const LEASE_MIN_MS = SECOND_MS;
export const LEASE_MAX_MS = DAY_MS;
export const DELAY_MAX_MS = 365 * DAY_MS;
export const RETRY_DELAY_MAX_MS = DAY_MS;
/** A unique key's length (UTF-8 bytes), and how long a window or a debounce may be. */
export const UNIQUE_KEY_MAX_BYTES = 256;
export const UNIQUE_WINDOW_MAX_MS = 30 * DAY_MS;
export const DEBOUNCE_MAX_MS = 30 * DAY_MS;

/**
 * Used when neither the task nor its queue sets them. The scripts hold the same values (lua/includes/defaults.lua),
 * since they resolve a queue's own defaults atomically; test/unit/store-codec.test.ts checks that they agree.
 */
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_LEASE_MS = 30 * SECOND_MS;

export const DEFAULT_INITIAL_BACKOFF_MS = SECOND_MS;
export const DEFAULT_MAX_BACKOFF_MS = HOUR_MS;
export const MAX_BACKOFF_LIMIT_MS = 7 * DAY_MS;
export const DEFAULT_BACKOFF_MULTIPLIER = 2;
export const BACKOFF_MULTIPLIER_MAX = 100;

export const METADATA_MAX_ENTRIES = 64;
export const METADATA_KEY_MAX_LENGTH = 128;
export const METADATA_VALUE_MAX_LENGTH = 4096;

export const SUBMIT_BATCH_MAX = 1000;
export const COMPLETE_BATCH_MAX = 1000;
export const COMPLETED_RING_MAX = 100_000;
/** Per-queue quotas (UpdateQueue), at most: waiting tasks, and stored payload bytes (1 TiB). */
export const QUEUE_PENDING_QUOTA_MAX = 1_000_000_000;
export const QUEUE_BYTES_QUOTA_MAX = 1_099_511_627_776;
export const CLAIM_MAX_TASKS = 100;
export const CLAIM_MAX_QUEUES = 10;
export const CLAIM_WAIT_MAX_MS = 60 * SECOND_MS;
/** A worker session (WorkTasks): credit granted per message, and granted but not yet used. */
export const WORK_CREDIT_PER_MESSAGE_MAX = 1000;
export const WORK_CREDIT_OUTSTANDING_MAX = 10_000;
export const PAGE_SIZE_DEFAULT = 100;
export const PAGE_SIZE_MAX = 1000;
export const LEASE_TOKEN_MAX_LENGTH = 256;

/** Failure text is diagnostic: cut to these lengths rather than rejected, so a failing worker can always report. */
export const ERROR_TYPE_MAX_LENGTH = 128;
export const ERROR_MESSAGE_MAX_LENGTH = 4096;
export const ERROR_DETAILS_MAX_LENGTH = 16_384;
export const PROGRESS_MESSAGE_MAX_LENGTH = 1024;

/** Queues one RegisterWorker may name. */
export const WORKER_QUEUES_MAX = 100;

/**
 * Request size budgets, in bytes beyond the configured payload limit: room for everything but the payload of one
 * task (metadata at its limits in multi-byte UTF-8, ids, settings), and for a batch's many small items.
 */
export const REQUEST_ITEM_OVERHEAD_BYTES = 1024 * 1024;
export const REQUEST_BATCH_EXTRA_BYTES = 8 * 1024 * 1024;
/**
 * Calls one client connection may have open at once (HTTP/2 streams); more wait in the client. One process that
 * watches many queues, or waits on many tasks (a gateway, a dashboard), holds a stream for each on one connection.
 */
export const CONNECTION_STREAMS_MAX = 1024;

/**
 * A task's log: the lines and text bytes each task keeps (the oldest are dropped past either), the longest line
 * (a longer one is cut to it and marked truncated: logs are diagnostic, so a worker can always log), and the lines
 * one AppendTaskLogs carries.
 */
export const TASK_LOG_LINES_MAX = 1000;
export const TASK_LOG_BYTES_MAX = 64 * 1024;
export const TASK_LOG_LINE_MAX_BYTES = 4096;
export const TASK_LOG_APPEND_MAX_LINES = 1000;
/** How often a log follower rereads a task that nothing woke, to see it finish. */
export const TASK_LOG_FOLLOW_POLL_MS = 1000;

/**
 * WatchTasks streams one principal may hold open on one replica, over all its connections (with authentication
 * on): one client watching many queues cannot hold them all for itself.
 */
export const WATCHES_PER_PRINCIPAL_MAX = 10_000;

/**
 * A flow (SubmitFlow): children per parent, tasks in all, levels. The tasks of one level go in one script call per
 * queue, so a level holds at most as many tasks as one call may carry.
 */
export const FLOW_CHILDREN_MAX = 1000;
export const FLOW_TASKS_MAX = 10_000;
export const FLOW_DEPTH_MAX = 32;

/**
 * A child that finished is on its queue's outbox until its parent was told (src/domain/flows.ts). The replica that
 * finished it tells the parent at once; maintenance tells the parents of children left untold this long (the
 * replica died, or its call failed).
 */
export const CHILD_NOTICE_GRACE_MS = 1_000;

/**
 * A parent that has waited this long for its children is checked once, by maintenance, for children that were never
 * stored (its flow's submit was cut short); each missing child is recorded failed (src/domain/flowRepair.ts). Longer
 * than any submit of a flow takes, so a submit still under way is never cut in on.
 */
export const FLOW_CHILD_GRACE_MS = 5 * 60_000;

/** The most partitions a queue may have (QueueSettings.partitions). */
export const PARTITIONS_MAX = 256;
/** The longest SubmitTaskRequest.partition_key. */
export const PARTITION_KEY_MAX_LENGTH = 256;
