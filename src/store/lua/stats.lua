-- Reads a queue's exact task count per state and how long its longest-waiting pending task has been claimable,
-- for the metrics gauges. Read-only.
-- KEYS: the queue keyset (includes/queue.lua): tasks, pending, scheduled, active, deadlines, done, index, meta.
-- (no ARGV)
-- Returns { count of state 1 (SCHEDULED), ..., count of state 8 (EXPIRED), oldest pending age ms or -1 }.
--
-- The pending task that entered PENDING first has the lowest enqueue sequence in its priority band (scores are
-- (9 - priority) * PRIORITY_BAND + sequence), so the first member of each band is a candidate. It has been
-- claimable since the latest of its creation, its schedule time (a client may set one in the past) and its last
-- error: a lease that expired requeues the task without moving its schedule time, and records a LEASE_EXPIRED
-- error when it does.
--@include queue

local now = nowMs()
local counts = redis.call('HMGET', K.meta, 'n4', 'n5', 'n6', 'n7', 'n8')
local reply = { redis.call('ZCARD', K.scheduled), redis.call('ZCARD', K.pending), redis.call('ZCARD', K.active) }
for i = 1, 5 do
  reply[i + 3] = tonumber(counts[i]) or 0
end

local oldestSeq, oldestId = nil, nil
if redis.call('ZCARD', K.pending) > 0 then
  for band = 0, 18 do
    local low = band * PRIORITY_BAND
    local first = redis.call('ZRANGEBYSCORE', K.pending, int(low), '(' .. int(low + PRIORITY_BAND), 'WITHSCORES', 'LIMIT', 0, 1)
    if #first > 0 then
      local seq = tonumber(first[2]) - low
      if oldestSeq == nil or seq < oldestSeq then
        oldestSeq, oldestId = seq, first[1]
      end
    end
  end
end

local age = -1
if oldestId then
  local t = loadTask(oldestId)
  local since = math.max(t.ct, t.sc)
  if t.e then
    local errors = cjson.decode(t.e)
    local last = errors[#errors]
    if last and last.t > since then
      since = last.t
    end
  end
  age = math.max(0, now - since)
end
reply[9] = age
return reply
