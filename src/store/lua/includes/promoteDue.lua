-- Makes scheduled tasks whose time has come PENDING.
-- Provides promoteDue(now, limit): returns how many. Needs K (includes/keys), PENDING (includes/states), loadTask
-- (includes/loadTask), moveTo (includes/moveTo), saveTask (includes/saveTask).
--- @include "includes/keys"
--- @include "includes/states"
--- @include "includes/loadTask"
--- @include "includes/moveTo"
--- @include "includes/saveTask"

local function promoteDue(now, limit)
  local due = redis.call('ZRANGEBYSCORE', K.scheduled, '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(due) do
    local t = loadTask(id)
    moveTo(id, t, PENDING, now)
    saveTask(id, t)
  end
  return #due
end
