-- What each worker seen in this queue did here: when it was last seen, tasks completed and failed, tasks held now.
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV: worker ids to report on; none: every worker seen in this queue
-- Returns flat { worker id, last seen ms, completed, failed, active now }...
--- @include "includes/formatInt"
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/nowMs"

local now = nowMs()
local activeBy = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K.active, '(' .. int(now), '+inf')) do
  local t = loadTask(id)
  activeBy[t.w] = (activeBy[t.w] or 0) + 1
end
local out = {}
local seen = {}
if #ARGV == 0 then
  seen = redis.call('ZRANGE', K.workers, 0, -1, 'WITHSCORES')
else
  for _, worker in ipairs(ARGV) do
    local score = redis.call('ZSCORE', K.workers, worker)
    if score then
      seen[#seen + 1] = worker
      seen[#seen + 1] = score
    end
  end
end
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
