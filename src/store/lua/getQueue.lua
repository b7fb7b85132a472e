-- Reads what an operator sees of a queue, in O(1) Redis work (no scan over tasks): counts per state, the age of
-- the longest-waiting pending task, settings, when a worker last claimed, and how many workers were seen lately.
-- KEYS: the queue keyset (includes/queue.lua).
-- ARGV[1] a worker seen within this many ms counts as live
-- Returns { counts[1..8], oldest pending age ms or -1, paused (0/1), max attempts, lease ms, retention ms or 0,
--           ring size, last claim time ms or 0, live workers, event retention, event max age ms or 0 }.
--@include queue
--@include stats

local now = nowMs()
local reply = stateCounts()
reply[9] = oldestPendingAgeMs(now)
reply[10] = queueSetting('paused', 0)
reply[11] = queueSetting('ma', DEFAULT_MAX_ATTEMPTS)
reply[12] = queueSetting('ld', DEFAULT_LEASE_MS)
reply[13] = queueSetting('rt', 0)
reply[14] = queueSetting('ring', DEFAULT_RING_SIZE)
reply[15] = queueSetting('lc', 0)
reply[16] = redis.call('ZCOUNT', K.workers, now - tonumber(ARGV[1]), '+inf')
reply[17] = queueSetting('er', DEFAULT_EVENT_RETENTION)
reply[18] = queueSetting('ea', 0)
return reply
