-- Makes a FAILED, EXHAUSTED, CANCELLED or EXPIRED task PENDING again with a fresh attempt budget; its attempt
-- count and error history are kept. A deadline already passed is dropped, or the task would expire at once.
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs.
-- ARGV[1] task id
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns the task reply (without payload).
-- Errors: BATON NOT_FOUND | NOT_RETRYABLE <state>
--- @include "includes/deadline"
--- @include "includes/emit"
--- @include "includes/loadTask"
--- @include "includes/moveTo"
--- @include "includes/nowMs"
--- @include "includes/reject"
--- @include "includes/reopen"
--- @include "includes/saveTask"
--- @include "includes/states"
--- @include "includes/taskReply"
--- @include "includes/wakeClaimers"

refuseIfLate()
local id = ARGV[1]
local now = nowMs()
local t = loadTask(id)
if not t then
  return reject('NOT_FOUND')
end
if not isTerminal(t.s) or t.s == SUCCEEDED then
  return reject('NOT_RETRYABLE', STATE_NAMES[t.s])
end
reopen(id, t, now)
t.sc = now
moveTo(id, t, PENDING, now)
saveTask(id, t)
emit('retried', id, t, nil)
wakeClaimers()
return taskReply(id, t, 'meta')
