-- Completes the caller's task with a result. Repeating the call with the same token after success returns the
-- task again, so a worker may retry over a flaky network.
-- KEYS: the queue keyset (includes/queue.lua): tasks, pending, scheduled, active, deadlines, done, index, meta.
-- ARGV[1] task id
-- ARGV[2] lease token
-- ARGV[3] result bytes
-- Returns the task reply (with payload and result).
-- Errors: BATON NOT_FOUND | TOKEN_MISMATCH <state> | LEASE_EXPIRED <state>
--@include queue

local id, token = ARGV[1], ARGV[2]
local now = nowMs()
local t = loadTask(id)
if not t then
  return reject('NOT_FOUND')
end
if t.s == SUCCEEDED and t.lt == token then
  return taskReply(id, t, true)
end
local leaseError = checkLease(id, t, token, now)
if leaseError then
  return leaseError
end
t.r = ARGV[3]
moveTo(id, t, SUCCEEDED, now)
saveTask(id, t)
return taskReply(id, t, true)
