-- Gives the caller's task back at once without using up its attempt and without recording an error (a worker
-- shutting down): PENDING again, or CANCELLED when a cancel was requested.
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV[1] task id
-- ARGV[2] lease token
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns the task reply (with payload).
-- Errors: BATON NOT_FOUND | TOKEN_MISMATCH <state> | LEASE_EXPIRED <state>
--- @include "includes/deadline"
--- @include "includes/emit"
--- @include "includes/leasedTask"
--- @include "includes/moveTo"
--- @include "includes/nowMs"
--- @include "includes/saveTask"
--- @include "includes/states"
--- @include "includes/taskReply"
--- @include "includes/wakeClaimers"

refuseIfLate()
local id, token = ARGV[1], ARGV[2]
local now = nowMs()
local t, refusal = leasedTask(id, token, now)
if not t then
  return refusal
end
local worker = t.w
-- The attempt is not counted against the budget: the task never really ran.
t.ab = (t.ab or 0) + 1
if t.cr then
  moveTo(id, t, CANCELLED, now)
  emit('cancelled', id, t, worker)
else
  t.sc = now
  moveTo(id, t, PENDING, now)
  emit('released', id, t, worker)
  wakeClaimers()
end
saveTask(id, t)
return taskReply(id, t, 'full')
