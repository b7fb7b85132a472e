-- Fails the current attempt of the caller's task: scheduled for a retry after backoff while attempts are left,
-- EXHAUSTED when they are used up, FAILED when permanent, CANCELLED when a cancel was requested.
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs.
-- ARGV[1] task id
-- ARGV[2] lease token
-- ARGV[3] error type, ARGV[4] error message, ARGV[5] error details
-- ARGV[6] '1' for a permanent failure
-- ARGV[7] retry delay ms overriding the backoff (-1: use the task's backoff)
-- ARGV[8] a uniform random number in [0, 1) for the jitter
-- ARGV[9..11] the retry policy's defaults, for fields the task leaves out: initial backoff ms, max backoff ms (at
--   least the initial backoff), multiplier x1000; jitter defaults to none
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { task reply (with payload), when the task falls due or -1 (see dueTime) }.
-- Errors: BATON NOT_FOUND | TOKEN_MISMATCH <state> | LEASE_EXPIRED <state>
--- @include "includes/appendError"
--- @include "includes/attemptsLeft"
--- @include "includes/countWorkerFailure"
--- @include "includes/deadline"
--- @include "includes/dueTime"
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
local permanent, retryDelay, random = ARGV[6] == '1', tonumber(ARGV[7]), tonumber(ARGV[8])
local now = nowMs()
local t, refusal = leasedTask(id, token, now)
if not t then
  return refusal
end
appendError(t, ARGV[3], ARGV[4], ARGV[5], now)
countWorkerFailure(t)
local worker, kind = t.w, 'retry_scheduled'
if t.cr then
  moveTo(id, t, CANCELLED, now)
  kind = 'cancelled'
elseif permanent then
  moveTo(id, t, FAILED, now)
  kind = 'failed'
elseif attemptsLeft(t) <= 0 then
  moveTo(id, t, EXHAUSTED, now)
  kind = 'exhausted'
else
  local delay = retryDelay
  if delay < 0 then
    local failures = t.a - (t.ab or 0)
    local initial = t.bi or tonumber(ARGV[9])
    local max, multiplier, jitter = t.bx or math.max(tonumber(ARGV[10]), initial), t.bm or tonumber(ARGV[11]), t.bj or 0
    delay = math.min(max, initial * (multiplier / 1000) ^ (failures - 1))
    delay = delay * (1 + (jitter / 1000) * (2 * random - 1))
  end
  t.sc = now + math.max(0, math.floor(delay))
  if t.sc > now then
    moveTo(id, t, SCHEDULED, now)
  else
    moveTo(id, t, PENDING, now)
    wakeClaimers()
  end
end
saveTask(id, t)
emit(kind, id, t, worker)
return { taskReply(id, t, 'full'), dueBy(NOT_DUE, t) }
