-- Adds a queue to the set of known queues, unless that would make more than the configured maximum.
-- KEYS[1] the set of known queue names (its own slot)
-- ARGV[1] queue name
-- ARGV[2] the most queues there may be
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns 1 when added, 0 when it was known already; QUEUE_LIMIT <max> when there is no room for it.
--- @include "includes/deadline"
--- @include "includes/reject"

refuseIfLate()
local queue, max = ARGV[1], tonumber(ARGV[2])
if redis.call('SISMEMBER', KEYS[1], queue) == 1 then
  return 0
end
if redis.call('SCARD', KEYS[1]) >= max then
  return reject('QUEUE_LIMIT', max)
end
return redis.call('SADD', KEYS[1], queue)
