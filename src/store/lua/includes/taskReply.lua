-- A reply of one task: { id, msgpack record }, for scripts that return one task or a short list. Replies of a
-- batch are flat instead (see includes/flatReply).
-- Provides taskReply(id, t, view). Needs taskRecord (includes/taskRecord).
--- @include "includes/taskRecord"

local function taskReply(id, t, view)
  return { id, taskRecord(t, view) }
end
