-- Reads one task's record.
-- Provides loadTask(id): the task's table, or nil when it does not exist. Needs K (includes/keys), decodeTask
-- (includes/record).
--- @include "includes/keys"
--- @include "includes/record"

local function loadTask(id)
  local blob = redis.call('HGET', K.tasks, id)
  if not blob then
    return nil
  end
  return decodeTask(blob)
end
