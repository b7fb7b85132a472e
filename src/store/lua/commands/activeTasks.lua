-- Lists the tasks held under a live lease, soonest expiry first: a lease already past its expiry is not shown as
-- held, even before maintenance has requeued it.
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV[1] worker id to filter on ('' for all)
-- ARGV[2] at most this many tasks
-- Returns { task reply without payload and result }...
--- @include "includes/formatInt"
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/nowMs"
--- @include "includes/taskReply"

local worker, limit = ARGV[1], tonumber(ARGV[2])
local now = nowMs()
local ids = redis.call('ZRANGEBYSCORE', K.active, '(' .. int(now), '+inf')
local out = {}
for _, id in ipairs(ids) do
  local t = loadTask(id)
  if worker == '' or t.w == worker then
    out[#out + 1] = taskReply(id, t, 'meta')
    if #out >= limit then
      break
    end
  end
end
return out
