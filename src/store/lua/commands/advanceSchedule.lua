-- Moves a schedule past the ticks a replica fired: compare-and-set on the tick and the spec revision it read, so of
-- the replicas that fired the same ticks exactly one moves it, and one that read an older state changes nothing.
-- KEYS: as createSchedule.lua (ids, due, record).
-- ARGV[1] "<queue>/<id>"
-- ARGV[2] the next tick the replica read (ms)
-- ARGV[3] the new next tick (ms)
-- ARGV[4] the last tick that submitted a task (ms), '' when unchanged
-- ARGV[5] the spec revision the replica read ('0' before the first update)
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns 1 when moved, 0 when the schedule was gone or had moved or been updated meanwhile.
--- @include "includes/deadline"

refuseIfLate()
if redis.call('EXISTS', KEYS[3]) == 0 then
  return 0
end
if (redis.call('HGET', KEYS[3], 'rev') or '0') ~= ARGV[5] then
  -- Updated since the replica read it: the ticks it fired were the old spec's. Their task exists, so it is the last
  -- run the overlap policy must see; the next tick stays the one the update chose.
  local last = redis.call('HGET', KEYS[3], 'last')
  if ARGV[4] ~= '' and (not last or tonumber(last) < tonumber(ARGV[4])) then
    redis.call('HSET', KEYS[3], 'last', ARGV[4])
  end
  return 0
end
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
