-- Whether the queue is in the set of known queues, as far as its own slot can tell. That set lives in another
-- slot, so a script cannot look; instead a queue's meta carries `rg` from the first write made after the caller
-- registered the queue. A queue deleted since (or written before `rg` existed) has none, and the caller is told
-- to register it again before the write: a replica that remembers a queue as known never recreates a deleted
-- one behind the registry's back.
-- Provides registered(flag): true when the write may go on; flag '1' means the caller has just registered the
-- queue (and marks it), '0' that it remembers doing so earlier. Needs K (includes/keys).
--- @include "includes/keys"

local function registered(flag)
  if flag == '1' then
    redis.call('HSET', K.meta, 'rg', 1)
    return true
  end
  return redis.call('HEXISTS', K.meta, 'rg') == 1
end
