-- Moves a schedule past the ticks a replica fired: compare-and-set on the tick it read, so of the replicas that
-- fired the same ticks exactly one moves it, and one that read an older state changes nothing.
-- KEYS: as createSchedule.lua (ids, due, record).
-- ARGV[1] "<queue>/<id>"
-- ARGV[2] the next tick the replica read (ms)
-- ARGV[3] the new next tick (ms)
-- ARGV[4] the last tick that submitted a task (ms), '' when unchanged
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns 1 when moved, 0 when the schedule was gone or had moved meanwhile.
--- @include "includes/deadline"

refuseIfLate()
if redis.call('HGET', KEYS[3], 'next') ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[3], 'next', ARGV[3])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[3], 'last', ARGV[4])
end
-- Paused meanwhile: it stays out of the due set until resumed.
if redis.call('HGET', KEYS[3], 'paused') ~= '1' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
return 1
