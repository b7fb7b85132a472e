-- Moves the queue's checked cursor (meta fv; see commands/staleParents) up to a parent's creation sequence once that
-- parent was checked for children never stored. It only moves forward, so replicas checking at once agree.
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV[1] the checked parent's creation sequence
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns the cursor.
--- @include "includes/deadline"
--- @include "includes/keys"

refuseIfLate()
local sequence = tonumber(ARGV[1])
local cursor = tonumber(redis.call('HGET', K.meta, 'fv') or '-1')
if sequence > cursor then
  redis.call('HSET', K.meta, 'fv', sequence)
  cursor = sequence
end
return cursor
