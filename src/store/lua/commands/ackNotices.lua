-- Takes children off the outbox (KEYS notices) once their parents were told (commands/childFinished), unless a
-- child finished again since (a retry): its entry's score is its latest end time (includes/moveTo), so a newer
-- finish stays to be told.
-- KEYS: the children's queue keyset (includes/keys.lua).
-- ARGV[1] number of children n
-- ARGV[2..] n pairs: child id, the end time its parent was told (ms; -1: the child was gone or unfinished)
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns how many entries it removed.
--- @include "includes/deadline"
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/states"

refuseIfLate()
local removed = 0
for i = 0, tonumber(ARGV[1]) - 1 do
  local id, told = ARGV[2 + i * 2], tonumber(ARGV[3 + i * 2])
  local stale = false
  if told < 0 then
    local t = loadTask(id)
    stale = not t or not isTerminal(t.s)
  end
  if stale or tonumber(redis.call('ZSCORE', K.notices, id)) == told then
    removed = removed + redis.call('ZREM', K.notices, id)
  end
end
return removed
