/** The documented limits of the API. Validation messages quote these. */
export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Printable ASCII without space or braces (braces would let a client steer the cluster slot). */
export const TASK_ID_PATTERN = /^[!-z|~]{1,128}$/;
export const WORKER_ID_PATTERN = /^[!-~]{1,128}$/;

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

/** Used when neither the task nor its queue sets them; the scripts hold the same values (lua/includes/queue.lua). */
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
