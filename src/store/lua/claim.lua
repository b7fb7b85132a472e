-- Claims up to `max` claimable tasks of one queue for a worker: leases that ran out are released and due scheduled
-- tasks promoted first (so a claim never waits for the reaper), then the highest priority pending tasks are
-- leased, FIFO within a priority.
-- KEYS: the queue keyset (includes/queue.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events.
-- ARGV[1] worker id
-- ARGV[2] max tasks to claim
-- ARGV[3] lease length ms (0: each task's default)
-- ARGV[4] token prefix: a random nonce from the caller; the i-th claimed task gets token prefix .. i
-- Returns { next schedule time ms of a scheduled task or -1, flat list of token, task id, record with payload per
-- claimed task (see claimPending), expiry tally (see expiryTally) }; a paused queue claims nothing and reports no
-- due time (its resume wakes waiting claims).
--@include queue

local workerId, max, leaseMs, tokenPrefix = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local now = nowMs()
touchWorker(workerId, now)
redis.call('HSET', K.meta, 'lc', now)
if queueSetting('paused', 0) == 1 then
  return { -1, {}, expiryTally() }
end

releaseExpiredLeases(now, 100)
promoteDue(now, 1000)

local claimed = claimPending(workerId, max, leaseMs, tokenPrefix, now)

local nextDue = redis.call('ZRANGE', K.scheduled, 0, 0, 'WITHSCORES')
local nextDueMs = -1
if #nextDue > 0 then
  nextDueMs = tonumber(nextDue[2])
end
return { nextDueMs, claimed, expiryTally() }
