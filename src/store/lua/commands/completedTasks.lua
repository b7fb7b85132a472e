-- Lists the most recently finished tasks, newest first, whatever their outcome, from the queue's bounded ring.
-- Tasks since deleted by retention or made pending again by a retry are skipped.
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV[1] at most this many tasks
-- Returns { task reply without payload and result }...
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/states"
--- @include "includes/taskReply"

local ids = redis.call('LRANGE', K.completed, 0, tonumber(ARGV[1]) - 1)
local out = {}
for _, id in ipairs(ids) do
  local t = loadTask(id)
  if t and isTerminal(t.s) then
    out[#out + 1] = taskReply(id, t, 'meta')
  end
end
return out
