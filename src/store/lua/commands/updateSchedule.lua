-- Replaces a schedule's spec and next tick in one step, keeping its state (paused, last run), and bumps the spec's
-- revision so that a runner's pass that read the old spec cannot move the schedule (see advanceSchedule.lua).
-- KEYS: as createSchedule.lua (ids, due, record).
-- ARGV[1] "<queue>/<id>"
-- ARGV[2] the new spec JSON (same queue, id and createTime)
-- ARGV[3] the new next tick (ms): the new spec's first after now
-- ARGV[4] the create time (ms) the caller read: a schedule with another was deleted and created again meanwhile
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns 1 when updated, 0 when there is no such schedule, -1 when it has another create time (nothing changed).
--- @include "includes/deadline"

refuseIfLate()
local spec = redis.call('HGET', KEYS[3], 'spec')
if not spec then
  return 0
end
if cjson.decode(spec).createTime ~= tonumber(ARGV[4]) then
  return -1
end
redis.call('HSET', KEYS[3], 'spec', ARGV[2], 'next', ARGV[3])
redis.call('HINCRBY', KEYS[3], 'rev', 1)
-- Paused: it stays out of the due set; resume picks its next tick.
if redis.call('HGET', KEYS[3], 'paused') ~= '1' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
return 1
