-- When a task next needs maintenance (its lease's end, its delay's or backoff's end, its deadline), so that scripts
-- can tell the replica that called them what they made fall due, and it can have that handled on time.
-- Provides NOT_DUE, earlier(due, at): the earlier of `due` (ms, or NOT_DUE) and `at` (ms), and dueBy(due, t): the
-- earlier of `due` and the task's own due time (a finished task is never due). Hot loops that know the task's state
-- call earlier() with the times they just set. Needs the states (includes/states).
--- @include "includes/states"

local NOT_DUE = -1

local function earlier(due, at)
  if due == NOT_DUE or at < due then
    return at
  end
  return due
end

local function dueBy(due, t)
  local state, at = t.s, t.xt
  if state == ACTIVE then
    if not at or t.lx < at then
      at = t.lx
    end
  elseif state == SCHEDULED then
    if not at or t.sc < at then
      at = t.sc
    end
  elseif state ~= PENDING then
    return due
  end
  if at then
    return earlier(due, at)
  end
  return due
end
