-- Defaults when neither the task nor the queue sets one. The scripts resolve them, so a queue's own defaults apply
-- atomically with the submit; src/domain/limits.ts holds the same numbers for the server.
-- Provides DEFAULT_MAX_ATTEMPTS, DEFAULT_LEASE_MS, DEFAULT_RING_SIZE, DEFAULT_EVENT_RETENTION. Needs nothing.

local DEFAULT_MAX_ATTEMPTS, DEFAULT_LEASE_MS, DEFAULT_RING_SIZE, DEFAULT_EVENT_RETENTION = 5, 30000, 1000, 10000
