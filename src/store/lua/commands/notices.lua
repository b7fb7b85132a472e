-- Reads children on the outbox (KEYS notices): those named, or those whose parent went untold past a grace.
-- KEYS: the children's queue keyset (includes/keys.lua).
-- ARGV[1] grace, ms: with no ids, entries older than this (Redis time)
-- ARGV[2] most entries
-- ARGV[3..] child ids (none: by age)
-- Returns a flat list of child id, record with its result but without its payload ('' when the task is gone), per
-- entry on the outbox.
--- @include "includes/flatReply"
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/nowMs"
--- @include "includes/taskRecord"

local grace, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local ids = {}
if #ARGV > 2 then
  for i = 3, #ARGV do
    if redis.call('ZSCORE', K.notices, ARGV[i]) then
      ids[#ids + 1] = ARGV[i]
    end
  end
else
  ids = redis.call('ZRANGEBYSCORE', K.notices, '-inf', nowMs() - grace, 'LIMIT', 0, limit)
end
local results = {}
for _, id in ipairs(ids) do
  local t = loadTask(id)
  results[#results + 1] = id
  if t then
    -- Its parent needs the result, never the payload (the table is not saved).
    t.p = nil
    results[#results + 1] = taskRecord(t, 'full')
  else
    results[#results + 1] = ''
  end
end
return results
