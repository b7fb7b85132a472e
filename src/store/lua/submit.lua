-- Submits tasks to one queue. A task id that exists already is returned unchanged (idempotent submit).
-- Optionally hands pending tasks straight to a worker waiting on the calling replica (the handoff), which saves
-- that worker's claim a round trip; only what is left pending wakes the claims waiting elsewhere.
-- KEYS: the queue keyset (includes/queue.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events.
-- ARGV[1]  number of tasks n
-- ARGV[2]  '1' to reply with whole tasks (with payload), '0' for id and state only
-- ARGV[3]  handoff: the waiting worker's id, or '' for none
-- ARGV[4]  handoff: the most tasks it takes
-- ARGV[5]  handoff: lease length ms (0: each task's default)
-- ARGV[6]  handoff: lease token prefix (as in claim.lua)
-- ARGV[7..] n groups of TASK_FIELDS fields (see newTask)
-- Returns { flat list of created (0/1), task id, task record ('full' or 'brief', see taskRecord) per task, flat
-- list of token, task id, record with payload per task handed off (see claimPending), expiry tally (see
-- expiryTally), tasks left pending }. A task handed off is replied to as leased.
--@include queue

local n, full = tonumber(ARGV[1]), ARGV[2] == '1'
local taker, takeMax, leaseMs, tokenPrefix = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local now = nowMs()
local ids = {}
for i = 0, n - 1 do
  ids[i + 1] = ARGV[7 + i * TASK_FIELDS]
end
local existing = loadTasks(ids)
-- Creation sequences are drawn with one HINCRBY for the whole submit: count the new tasks first (an id given twice
-- is created once).
local newCount, isNew = 0, {}
for _, id in ipairs(ids) do
  if not existing[id] and not isNew[id] then
    isNew[id] = true
    newCount = newCount + 1
  end
end
local sequence = newCount > 0 and redis.call('HINCRBY', K.meta, 'seq', newCount) - newCount or 0

local batch = newBatch()
local submitted, woke = {}, false
for i = 0, n - 1 do
  local base = 7 + i * TASK_FIELDS
  local id = ARGV[base]
  local t = existing[id]
  local created = 0
  if not t then
    created = 1
    sequence = sequence + 1
    id, t = newTask(base, now, sequence)
    existing[id] = t
    if t.sc > now then
      moveTo(id, t, SCHEDULED, now, batch)
    else
      moveTo(id, t, PENDING, now, batch)
      woke = true
    end
    saveTask(id, t, batch)
    emit('submitted', id, t, nil)
  end
  submitted[#submitted + 1] = { created, id, t }
end
flushBatch(batch)

local handedOff, leased = {}, {}
if woke and taker ~= '' and queueSetting('paused', 0) ~= 1 then
  touchWorker(taker, now)
  redis.call('HSET', K.meta, 'lc', now)
  handedOff, leased = claimPending(taker, takeMax, leaseMs, tokenPrefix, now)
end
local pendingLeft = redis.call('ZCARD', K.pending)
if woke and pendingLeft > 0 then
  wakeClaimers()
end

local results = {}
for _, item in ipairs(submitted) do
  local created, id, t = item[1], item[2], item[3]
  reply3(results, created, id, taskRecord(leased[id] or t, full and 'full' or 'brief'))
end
return { results, handedOff, expiryTally(), pendingLeft }
