-- Cancels a task: scheduled or pending tasks become CANCELLED at once; an active task is marked cancel-requested
-- and its worker learns it from its next heartbeat. Cancelling a cancelled task changes nothing.
-- KEYS: the queue keyset (includes/queue.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events.
-- ARGV[1] task id
-- Returns the task reply (without payload).
-- Errors: BATON NOT_FOUND | TERMINAL <state>
--@include queue

local id = ARGV[1]
local now = nowMs()
local t = loadTask(id)
if not t then
  return reject('NOT_FOUND')
end
if t.s == SCHEDULED or t.s == PENDING then
  moveTo(id, t, CANCELLED, now)
  saveTask(id, t)
  emit('cancelled', id, t, nil)
elseif t.s == ACTIVE then
  if not t.cr then
    t.cr, t.ut = 1, now
    saveTask(id, t)
    emit('cancel_requested', id, t, t.w)
  end
elseif t.s ~= CANCELLED then
  return reject('TERMINAL', STATE_NAMES[t.s])
end
return taskReply(id, t, 'meta')
