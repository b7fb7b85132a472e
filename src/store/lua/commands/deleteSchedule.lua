-- Deletes a schedule; the tasks it submitted stay in their queue.
-- KEYS: as createSchedule.lua (ids, due, record).
-- ARGV[1] "<queue>/<id>"
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns 1 when deleted, 0 when there was no such schedule.
--- @include "includes/deadline"

refuseIfLate()
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[3])
