-- Reads parents of the queue that have waited for their children longer than a grace and were not checked yet for
-- children that were never stored (a flow submit cut short; src/domain/flowRepair.ts): the parents of `waiting`
-- past the queue's checked cursor (meta fv, a creation sequence), oldest first, up to the first one younger than
-- the grace. Parents past the cursor are checked once, so a parent that waits for hours costs one check.
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV[1] grace, ms (Redis time)
-- ARGV[2] most parents
-- Returns a flat list of parent id, creation sequence, creation time (ms), per parent.
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/nowMs"

local grace, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local cursor = redis.call('HGET', K.meta, 'fv') or '-1'
local entries = redis.call('ZRANGEBYSCORE', K.waiting, '(' .. cursor, '+inf', 'WITHSCORES', 'LIMIT', 0, limit)
local oldest = nowMs() - grace
local results = {}
for i = 1, #entries, 2 do
  local t = loadTask(entries[i])
  if t then
    if t.ct > oldest then
      break
    end
    results[#results + 1] = entries[i]
    results[#results + 1] = entries[i + 1]
    results[#results + 1] = t.ct
  end
end
return results
