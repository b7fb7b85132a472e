-- Submits tasks to one queue. A task id that exists already is returned unchanged (idempotent submit).
-- Optionally hands pending tasks straight to a worker waiting on the calling replica (the handoff), which saves
-- that worker's claim a round trip; only what is left pending wakes the claims waiting elsewhere.
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs.
-- ARGV[1]  number of tasks n
-- ARGV[2]  '1' to reply with whole tasks (with payload), '0' for id and state only
-- ARGV[3]  handoff: the waiting worker's id, or '' for none
-- ARGV[4]  handoff: the most tasks it takes
-- ARGV[5]  handoff: lease length ms (0: each task's default)
-- ARGV[6]  handoff: lease tokens, one per task it may take (as in claim.lua)
-- ARGV[7]  registration: '1' just registered, '0' registered earlier (see includes/registration)
-- ARGV[8..] n groups of TASK_FIELDS fields (see newTask)
-- ARGV[8 + n * TASK_FIELDS] m, the number of tasks with a concurrency key, and m pairs: the task's place in the
--          groups (1..n), its key (apart from the groups, so a task without a key costs no argument; see
--          includes/keySlots)
-- then     the unique items: their count, then per item its number (1..n), unique key, mode ('w' window, 'f' until
--          finished, 'd' debounce) and window or debounce ms (see includes/uniqueKeys)
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { flat list of created, task id, task record ('full' or 'brief', see taskRecord) per task, created being
-- 1 created, 0 the task id existed, 2 the unique key was held by this task, 3 that task was debounced (or -1, task
-- id, 'QUOTA <field> <limit>' for a task the queue's quotas refused: see includes/storedBytes, with ' debounce' added
-- when it was a debounce that would have grown the task's payload past the quota; or -1, holder's id,
-- 'UNIQUE <holder's id> <window end>' when the key's window holds but its task was deleted), flat
-- list of token, task id, record with payload per task handed off (see claimPending), expiry tally (see
-- expiryTally), tasks left pending, when the earliest task created or handed off falls due or -1 (see dueTime) }.
-- A task handed off is replied to as leased. UNREGISTERED when the queue must be registered again first.
--- @include "includes/batch"
--- @include "includes/claimPending"
--- @include "includes/deadline"
--- @include "includes/debounce"
--- @include "includes/dueTime"
--- @include "includes/emit"
--- @include "includes/expiryTally"
--- @include "includes/flatReply"
--- @include "includes/keys"
--- @include "includes/loadTasks"
--- @include "includes/moveTo"
--- @include "includes/newTask"
--- @include "includes/nowMs"
--- @include "includes/queueSetting"
--- @include "includes/registration"
--- @include "includes/reject"
--- @include "includes/saveTask"
--- @include "includes/states"
--- @include "includes/storedBytes"
--- @include "includes/taskRecord"
--- @include "includes/touchWorker"
--- @include "includes/uniqueKeys"
--- @include "includes/wakeClaimers"

refuseIfLate()
local n, full = tonumber(ARGV[1]), ARGV[2] == '1'
local taker, takeMax, leaseMs, tokens = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
if not registered(ARGV[7]) then
  return reject('UNREGISTERED')
end
local now = nowMs()
local ids = {}
for i = 0, n - 1 do
  ids[i + 1] = ARGV[8 + i * TASK_FIELDS]
end
local keyOf = {}
local keyedAt = 8 + n * TASK_FIELDS
for i = keyedAt + 1, keyedAt + tonumber(ARGV[keyedAt]) * 2, 2 do
  keyOf[tonumber(ARGV[i])] = ARGV[i + 1]
end
local existing = loadTasks(ids)
local uniques = readUniques(keyedAt + 1 + tonumber(ARGV[keyedAt]) * 2)
-- Which new tasks the queue's quotas let in, in order (an id given twice is created once); a refused task is not
-- stored and its item says why. An item whose unique key is held creates nothing (whatever its id says), and an
-- item that will be created takes its key for the items after it. Creation sequences are then drawn with one
-- HINCRBY for the whole submit.
local waiting = redis.call('ZCARD', K.pending) + redis.call('ZCARD', K.scheduled) + redis.call('ZCARD', K.keyWaiting)
loadQueueSettings('pb', 'qp', 'qb', 'ma', 'ld', 'er', 'ea', 'paused', 'rc', 'kc', 'kl')
local bytes = queueSetting('pb', 0)
local newCount, isNew, refused, addedBytes = 0, {}, {}, 0
-- Ordinary submits (no unique key) skip the unique steps on one test per task.
local anyUnique, held, taken = next(uniques) ~= nil, {}, {}
for i, id in ipairs(ids) do
  local unique = anyUnique and uniques[i]
  local holder = unique and keyHolder(unique.key, now, existing, taken)
  if holder then
    held[i] = holder
  elseif not existing[id] and not isNew[id] and not refused[id] then
    local size = #ARGV[8 + (i - 1) * TASK_FIELDS + 1]
    local refusal = quotaRefusal(waiting + 1, bytes + addedBytes + size)
    if refusal then
      refused[id] = refusal
    else
      isNew[id] = true
      newCount = newCount + 1
      waiting = waiting + 1
      addedBytes = addedBytes + size
      if unique then
        taken[unique.key] = { id = id, mode = unique.mode }
      end
    end
  end
end
local sequence = newCount > 0 and redis.call('HINCRBY', K.meta, 'seq', newCount) - newCount or 0

local batch = newBatch()
local submitted, woke, due = {}, false, NOT_DUE
for i = 0, n - 1 do
  local base = 8 + i * TASK_FIELDS
  local id = ARGV[base]
  local t = existing[id]
  local created = 0
  local holder = anyUnique and held[i + 1]
  if holder then
    local unique = uniques[i + 1]
    id, t = holder.id, existing[holder.id] or holder.t
    if not t then
      created, t = -1, 'UNIQUE ' .. id .. ' ' .. holder.windowEnd
    else
      existing[id] = t
      created = 2
      if unique.mode == 'd' and holder.mode == 'd' then
        -- A debounce that grows the stored payload past the queue's byte quota leaves the task as it was.
        local grown = #ARGV[base + 1] - #(t.p or '')
        local refusal = grown > 0 and quotaRefusal(nil, bytes + addedBytes + grown)
        if refusal then
          created, t = -1, refusal .. ' debounce'
        else
          created = 3
          addedBytes = addedBytes + debounce(id, t, base, now, unique.ms)
          due = earlier(due, t.sc)
        end
      end
    end
  elseif refused[id] then
    created, t = -1, refused[id]
  elseif not t then
    created = 1
    sequence = sequence + 1
    id, t = newTask(base, now, sequence)
    local key = keyOf[i + 1]
    if key then
      t.ck = key
    end
    existing[id] = t
    -- A debounce's task may be pushed back later in this submit: written at once (see includes/debounce).
    local writes, unique = batch, anyUnique and uniques[i + 1]
    if unique then
      t.uk = unique.key
      local windowEnd = takeUniqueKey(unique, id, now)
      if windowEnd then
        due = earlier(due, windowEnd)
      end
      if unique.mode == 'd' then
        writes = nil
      end
    end
    if t.sc > now then
      moveTo(id, t, SCHEDULED, now, writes)
      due = earlier(due, t.sc)
    else
      moveTo(id, t, PENDING, now, writes)
      woke = true
    end
    if t.xt then
      due = earlier(due, t.xt)
    end
    saveTask(id, t, writes)
    emit('submitted', id, t, nil)
  end
  submitted[#submitted + 1] = { created, id, t }
end
flushBatch(batch)
countStoredBytes(addedBytes)

local handedOff, leased, leaseDue = {}, {}, NOT_DUE
if woke and taker ~= '' and queueSetting('paused', 0) ~= 1 then
  touchWorker(taker, now)
  redis.call('HSET', K.meta, 'lc', now)
  handedOff, leased, leaseDue = claimPending(taker, takeMax, leaseMs, tokens, now)
end
if leaseDue ~= NOT_DUE then
  due = earlier(due, leaseDue)
end
local pendingLeft = redis.call('ZCARD', K.pending)
if woke and pendingLeft > 0 then
  wakeClaimers()
end

local results = {}
for _, item in ipairs(submitted) do
  local created, id, t = item[1], item[2], item[3]
  reply3(results, created, id, created == -1 and t or taskRecord(leased[id] or t, full and 'full' or 'brief'))
end
return { results, handedOff, expiryTally(), pendingLeft, due }
