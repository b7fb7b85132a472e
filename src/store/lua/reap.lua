-- Housekeeping for one queue, safe to run from any number of service replicas at once: requeues tasks whose
-- lease ran out, expires tasks past their deadline, promotes due scheduled tasks, deletes finished tasks older
-- than the retention, and trims events older than the queue's event max age. Each step handles at most `limit`
-- tasks per call.
-- KEYS: the queue keyset (includes/queue.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events.
-- ARGV[1] limit per step
-- ARGV[2] retention of finished tasks, ms, unless the queue sets its own
-- ARGV[3] how long a worker not seen in this queue keeps its entry and counters here, ms
-- Returns { leases expired, of which exhausted, of which cancelled, tasks past their deadline expired,
--           tasks promoted, tasks deleted, ms until the next known due time or -1 }.
--@include queue

local limit, workerRetention = tonumber(ARGV[1]), tonumber(ARGV[3])
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
for _, id in ipairs(old) do
  local t = loadTask(id)
  redis.call('HDEL', K.tasks, id)
  redis.call('ZREM', K.done, id)
  redis.call('ZREM', K.index, id)
  redis.call('HINCRBY', K.meta, 'n' .. t.s, -1)
end

if woke then
  wakeClaimers()
end

-- A quiet queue's events age out here: otherwise only the next change in the queue would trim them.
if queueSetting('ea', 0) > 0 then
  trimEventsOnce()
end

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
local tally = expiryTally()
return { tally[1], tally[2], tally[3], tally[4], promoted, #old, nextDue }
