-- Pauses a schedule (out of the due set) or resumes it from a new next tick.
-- KEYS: as createSchedule.lua (ids, due, record).
-- ARGV[1] "<queue>/<id>"
-- ARGV[2] 1 to pause, 0 to resume
-- ARGV[3] resuming: the next tick (ms); the ticks passed while paused are skipped
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns 1, or 0 when there is no such schedule.
--- @include "includes/deadline"

refuseIfLate()
if redis.call('EXISTS', KEYS[3]) == 0 then
  return 0
end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[3], 'paused', '1')
  redis.call('ZREM', KEYS[2], ARGV[1])
elseif redis.call('HGET', KEYS[3], 'paused') == '1' then
  redis.call('HSET', KEYS[3], 'paused', '0', 'next', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
return 1
