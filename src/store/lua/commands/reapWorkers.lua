-- Forgets workers not seen for longer than the retention.
-- KEYS[1] workers  hash  (see registerWorker.lua)
-- KEYS[2] seen     zset  worker id, score = last seen (ms)
-- ARGV[1] retention ms
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns the number of workers forgotten.
--- @include "includes/deadline"
--- @include "includes/formatInt"
--- @include "includes/nowMs"

refuseIfLate()
local now = nowMs()
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', int(now - tonumber(ARGV[1])), 'LIMIT', 0, 1000)
for _, id in ipairs(gone) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #gone
