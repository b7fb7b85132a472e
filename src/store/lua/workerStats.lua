-- What each worker seen in this queue did here: when it was last seen, tasks completed and failed, tasks held now.
-- KEYS: the queue keyset (includes/queue.lua).
-- (no ARGV)
-- Returns flat { worker id, last seen ms, completed, failed, active now }...
--@include queue

local now = nowMs()
local activeBy = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K.active, '(' .. int(now), '+inf')) do
  local t = loadTask(id)
  activeBy[t.w] = (activeBy[t.w] or 0) + 1
end
local out = {}
local seen = redis.call('ZRANGE', K.workers, 0, -1, 'WITHSCORES')
for i = 1, #seen, 2 do
  local worker = seen[i]
  local counters = redis.call('HMGET', K.meta, 'p:' .. worker, 'f:' .. worker)
  out[#out + 1] = worker
  out[#out + 1] = tonumber(seen[i + 1])
  out[#out + 1] = tonumber(counters[1]) or 0
  out[#out + 1] = tonumber(counters[2]) or 0
  out[#out + 1] = activeBy[worker] or 0
end
return out
