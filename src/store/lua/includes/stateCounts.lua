-- Exact count per state, indexed by state number, in O(1) Redis work: live states are the sizes of their indexes,
-- PENDING counts the keyed tasks waiting for a slot too (includes/keySlots); terminal states are counted in meta as
-- tasks enter and leave them (includes/moveTo).
-- Provides stateCounts(). Needs K (includes/keys).
--- @include "includes/keys"

local function stateCounts()
  local pending = redis.call('ZCARD', K.pending) + redis.call('ZCARD', K.keyWaiting)
  local counts = { redis.call('ZCARD', K.scheduled), pending, redis.call('ZCARD', K.active) }
  local finished = redis.call('HMGET', K.meta, 'n4', 'n5', 'n6', 'n7', 'n8')
  for i = 1, 5 do
    counts[i + 3] = tonumber(finished[i]) or 0
  end
  return counts
end
