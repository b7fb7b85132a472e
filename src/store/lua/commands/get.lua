-- Reads one task.
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs.
-- ARGV[1] task id
-- Returns the task reply (with payload and result), or nil.
--- @include "includes/loadTask"
--- @include "includes/taskReply"

local t = loadTask(ARGV[1])
if not t then
  return nil
end
return taskReply(ARGV[1], t, 'full')
