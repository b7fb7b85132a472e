-- Forgets workers not seen for longer than the retention.
-- KEYS[1] workers  hash  (see registerWorker.lua)
-- KEYS[2] seen     zset  worker id, score = last seen (ms)
-- ARGV[1] retention ms
-- Returns the number of workers forgotten.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now - tonumber(ARGV[1])), 'LIMIT', 0, 1000)
for _, id in ipairs(gone) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #gone
