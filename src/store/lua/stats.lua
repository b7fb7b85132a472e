-- Reads a queue's exact task count per state and how long its longest-waiting pending task has been claimable,
-- for the metrics gauges. Read-only.
-- KEYS: the queue keyset (includes/queue.lua).
-- (no ARGV)
-- Returns { count of state 1 (SCHEDULED), ..., count of state 8 (EXPIRED), oldest pending age ms or -1 }.
--@include queue
--@include stats

local reply = stateCounts()
reply[9] = oldestPendingAgeMs(nowMs())
return reply
