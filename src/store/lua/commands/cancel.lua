-- Cancels a task: scheduled, pending or waiting tasks become CANCELLED at once (the caller cancels a parent's
-- children: src/domain/flows.ts); an active task is marked cancel-requested
-- and its worker learns it from its next heartbeat. Cancelling a cancelled task changes nothing.
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs.
-- ARGV[1] task id
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns the task reply (without payload).
-- Errors: BATON NOT_FOUND | TERMINAL <state>
--- @include "includes/deadline"
--- @include "includes/emit"
--- @include "includes/loadTask"
--- @include "includes/moveTo"
--- @include "includes/nowMs"
--- @include "includes/reject"
--- @include "includes/saveTask"
--- @include "includes/states"
--- @include "includes/taskReply"

refuseIfLate()
local id = ARGV[1]
local now = nowMs()
local t = loadTask(id)
if not t then
  return reject('NOT_FOUND')
end
if t.s == SCHEDULED or t.s == PENDING or t.s == WAITING_CHILDREN then
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
