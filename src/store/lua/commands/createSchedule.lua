-- Creates a schedule unless its queue already has one with that id.
-- KEYS[1] ids     zset of "<queue>/<id>" (score 0: ordered by name)
-- KEYS[2] due     zset of "<queue>/<id>", score = next tick (ms); only schedules that are not paused
-- KEYS[3] record  hash: spec (JSON), next (ms), last (ms of the last tick that submitted a task), paused (0|1)
-- ARGV[1] "<queue>/<id>"
-- ARGV[2] spec JSON
-- ARGV[3] next tick (ms)
-- ARGV[4] paused (0|1)
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns 1 when created, 0 when it existed (nothing changed).
--- @include "includes/deadline"

refuseIfLate()
if redis.call('EXISTS', KEYS[3]) == 1 then
  return 0
end
redis.call('HSET', KEYS[3], 'spec', ARGV[2], 'next', ARGV[3], 'paused', ARGV[4])
redis.call('ZADD', KEYS[1], 0, ARGV[1])
if ARGV[4] ~= '1' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
return 1
