-- Extends the caller's lease and optionally replaces the task's progress.
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs.
-- ARGV[1] task id
-- ARGV[2] lease token
-- ARGV[3] new lease length ms (0: keep the current length)
-- ARGV[4] '1' when progress is given, then ARGV[5] current, ARGV[6] total, ARGV[7] message
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { lease expiry ms, cancel requested (0/1), when the task falls due (see dueTime) }.
-- Errors: BATON NOT_FOUND | TOKEN_MISMATCH <state> | LEASE_EXPIRED <state>
--- @include "includes/deadline"
--- @include "includes/dueTime"
--- @include "includes/emit"
--- @include "includes/keys"
--- @include "includes/leaseLength"
--- @include "includes/leasedTask"
--- @include "includes/nowMs"
--- @include "includes/saveTask"
--- @include "includes/touchWorker"

refuseIfLate()
local id, token, leaseMs = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = nowMs()
local t, refusal = leasedTask(id, token, now)
if not t then
  return refusal
end
if leaseMs > 0 then
  t.ll = leaseMs
end
t.lx = now + leaseLengthOf(t)
redis.call('ZADD', K.active, t.lx, id)
touchWorker(t.w, now)
if ARGV[4] == '1' then
  t.pc, t.pt, t.pm = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
  emit('progress', id, t, t.w)
end
saveTask(id, t)
return { t.lx, t.cr or 0, dueBy(NOT_DUE, t) }
