-- Housekeeping for one queue, safe to run from any number of service replicas at once: requeues tasks whose
-- lease ran out, expires tasks past their deadline, promotes due scheduled tasks, deletes finished tasks older
-- than the retention (with their logs), trims events older than the queue's event max age, and deletes unique keys
-- whose window ended (includes/uniqueKeys). Each step handles at most `limit` tasks (or keys) per call.
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs, unique, uniqueEnds.
-- ARGV[1] limit per step
-- ARGV[2] retention of finished tasks, ms, unless the queue sets its own
-- ARGV[3] how long a worker not seen in this queue keeps its entry and counters here, ms
-- ARGV[4] how long a finished child's parent may go untold before maintenance tells it, ms (the outbox's grace)
-- ARGV[5] how long a parent waits before maintenance checks that its children were stored, ms (commands/staleParents)
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { leases expired, of which exhausted, of which cancelled, tasks past their deadline expired,
--           tasks promoted, tasks deleted, ms until the next known due time or -1, children whose parent went
--           untold past the grace (see src/domain/flows.ts), 1 if a parent past its grace awaits that check else 0 }.
--- @include "includes/callInChunks"
--- @include "includes/deadline"
--- @include "includes/emit"
--- @include "includes/expiryTally"
--- @include "includes/forgetChildren"
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/moveTo"
--- @include "includes/nowMs"
--- @include "includes/promoteDue"
--- @include "includes/queueSetting"
--- @include "includes/releaseExpiredLeases"
--- @include "includes/saveTask"
--- @include "includes/states"
--- @include "includes/storedBytes"
--- @include "includes/trimEvents"
--- @include "includes/uniqueKeys"
--- @include "includes/wakeClaimers"

refuseIfLate()
local limit, workerRetention, noticeGrace = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
local parentGrace = tonumber(ARGV[5])
local now = nowMs()
local retention = queueSetting('rt', tonumber(ARGV[2]))
local woke = false

if releaseExpiredLeases(now, limit) > 0 then
  woke = true
end

local pastDeadline = redis.call('ZRANGEBYSCORE', K.deadlines, '-inf', now, 'LIMIT', 0, limit)
for _, id in ipairs(pastDeadline) do
  local t = loadTask(id)
  if t and not isTerminal(t.s) then
    moveTo(id, t, EXPIRED, now)
    saveTask(id, t)
    emit('expired', id, t, nil)
    expiries.deadlines = expiries.deadlines + 1
  else
    redis.call('ZREM', K.deadlines, id)
  end
end

local promoted = promoteDue(now, limit)
if promoted > 0 then
  woke = true
end

local old = redis.call('ZRANGEBYSCORE', K.done, '-inf', now - retention, 'LIMIT', 0, limit)
local freed = 0
for _, id in ipairs(old) do
  local t = loadTask(id)
  freed = freed + #(t.p or '')
  redis.call('HDEL', K.tasks, id)
  redis.call('ZREM', K.done, id)
  redis.call('ZREM', K.index, id)
  redis.call('HINCRBY', K.meta, 'n' .. t.s, -1)
  forgetUniqueKey(id, t)
  forgetChildren(id, t)
end
if #old > 0 then
  callInChunks('HDEL', K.logs, old)
end
countStoredBytes(-freed)

if woke then
  wakeClaimers()
end

-- A quiet queue's events age out here: otherwise only the next change in the queue would trim them.
if queueSetting('ea', 0) > 0 then
  trimEventsOnce()
end

expireUniqueKeys(now, limit)

local goneWorkers = redis.call('ZRANGEBYSCORE', K.workers, '-inf', now - workerRetention, 'LIMIT', 0, limit)
for _, worker in ipairs(goneWorkers) do
  redis.call('ZREM', K.workers, worker)
  redis.call('HDEL', K.meta, 'p:' .. worker, 'f:' .. worker)
end

local nextDue = -1
local function consider(key, offset)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #first > 0 then
    local at = tonumber(first[2]) + offset - now
    if nextDue < 0 or at < nextDue then
      nextDue = math.max(0, at)
    end
  end
end
consider(K.active, 0)
consider(K.deadlines, 0)
consider(K.scheduled, 0)
consider(K.done, retention)
consider(K.uniqueEnds, 0)
consider(K.notices, noticeGrace)
local untold = redis.call('ZCOUNT', K.notices, '-inf', now - noticeGrace)
-- The oldest parent not yet checked for children never stored: due for the check once past its grace.
local uncheckedParent = 0
if redis.call('ZCARD', K.waiting) > 0 then
  local cursor = redis.call('HGET', K.meta, 'fv') or '-1'
  local first = redis.call('ZRANGEBYSCORE', K.waiting, '(' .. cursor, '+inf', 'LIMIT', 0, 1)
  local parent = first[1] and loadTask(first[1])
  if parent then
    local at = parent.ct + parentGrace - now
    if at <= 0 then
      uncheckedParent = 1
    elseif nextDue < 0 or at < nextDue then
      nextDue = at
    end
  end
end
local tally = expiryTally()
return { tally[1], tally[2], tally[3], tally[4], promoted, #old, nextDue, untold, uncheckedParent }
