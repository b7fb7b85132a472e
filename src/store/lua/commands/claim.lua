-- Claims up to `max` claimable tasks of one queue for a worker: leases that ran out are released and due scheduled
-- tasks promoted first (so a claim never waits for the reaper), then the highest priority pending tasks are
-- leased, FIFO within a priority.
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs.
-- ARGV[1] worker id
-- ARGV[2] max tasks to claim
-- ARGV[3] lease length ms (0: each task's default)
-- ARGV[4] lease tokens: one random token per task it may claim, concatenated (see claimPending)
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { next schedule time ms of a scheduled task, or of a token of a rate limit that held tasks back, or -1, flat list of token, task id, record with payload per
-- claimed task (see claimPending), expiry tally (see expiryTally), when the earliest claimed task falls due or -1
-- (see dueTime) }; a paused queue claims nothing and reports no schedule time (its resume wakes waiting claims).
-- A queue that has never had a task or a setting (no meta) is not written to: a claim does not create a queue.
--- @include "includes/claimPending"
--- @include "includes/deadline"
--- @include "includes/dueTime"
--- @include "includes/expiryTally"
--- @include "includes/keys"
--- @include "includes/nowMs"
--- @include "includes/queueSetting"
--- @include "includes/readyToClaim"
--- @include "includes/touchWorker"
--- @include "includes/keySlots"

refuseIfLate()
local workerId, max, leaseMs, tokens = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
if redis.call('EXISTS', K.meta) == 0 then
  return { -1, {}, expiryTally(), NOT_DUE }
end
local now = nowMs()
touchWorker(workerId, now)
redis.call('HSET', K.meta, 'lc', now)
loadQueueSettings('paused', 'er', 'ea', 'rc', 'kc', 'kl')
if queueSetting('paused', 0) == 1 then
  return { -1, {}, expiryTally(), NOT_DUE }
end

readyToClaim(now)

local claimed, _, due, rateDue = claimPending(workerId, max, leaseMs, tokens, now)

local nextDue = redis.call('ZRANGE', K.scheduled, 0, 0, 'WITHSCORES')
local nextDueMs = -1
if #nextDue > 0 then
  nextDueMs = tonumber(nextDue[2])
end
-- A rate limit that held tasks back is due when its next token returns: the waiting claims retry then.
local function soonest(at)
  if at and (nextDueMs == -1 or at < nextDueMs) then
    nextDueMs = at
  end
end
soonest(rateDue)
if queueSetting('kc', 0) > 0 then
  local throttled = redis.call('ZRANGE', K.keyThrottled, 0, 0, 'WITHSCORES')
  soonest(tonumber(throttled[2]))
end
return { nextDueMs, claimed, expiryTally(), due }
