-- Completes tasks of one queue with their results; each item succeeds or fails alone. Repeating a completion with
-- the same token after success returns the task again, so a worker may retry over a flaky network. Optionally then
-- claims for the worker whose slots the completions freed (the next task comes in the same script run, as a claim
-- would take it: expired leases and due tasks first; a paused queue hands nothing out).
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs.
-- ARGV[1] number of items n
-- ARGV[2] reply view of each task: 'full', 'meta' or 'brief' (see taskRecord)
-- ARGV[3] the claiming worker's id, or '' to claim nothing
-- ARGV[4] the most tasks it takes
-- ARGV[5] lease length ms (0: each task's default)
-- ARGV[6] lease tokens, one per task it may take (as in claim.lua)
-- ARGV[7..] n triples: task id, lease token, result bytes
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { flat list, three values per item: 1, task id, task record (see taskRecord); or 0, 'NOT_FOUND' |
-- 'TOKEN_MISMATCH <state>' | 'LEASE_EXPIRED <state>', ''; flat list of token, task id, record with payload per task
-- claimed (see claimPending); expiry tally (see expiryTally); when the earliest claimed task falls due or -1 }.
--- @include "includes/batch"
--- @include "includes/checkLease"
--- @include "includes/claimPending"
--- @include "includes/deadline"
--- @include "includes/dueTime"
--- @include "includes/expiryTally"
--- @include "includes/emit"
--- @include "includes/flatReply"
--- @include "includes/loadTasks"
--- @include "includes/moveTo"
--- @include "includes/nowMs"
--- @include "includes/queueSetting"
--- @include "includes/readyToClaim"
--- @include "includes/saveTask"
--- @include "includes/states"
--- @include "includes/taskRecord"
--- @include "includes/touchWorker"

refuseIfLate()
-- Completions counted per worker and written once per worker, since a batch usually comes from one worker.
local completedBy = {}

local n, view = tonumber(ARGV[1]), ARGV[2]
local taker, takeMax, leaseMs, tokens = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local now = nowMs()
local ids = {}
for i = 0, n - 1 do
  ids[i + 1] = ARGV[7 + i * 3]
end
local tasks = loadTasks(ids)
loadQueueSettings('ring', 'er', 'ea', 'kl', 'kc', 'paused', 'rc')
local batch = newBatch()
local results = {}
for i = 0, n - 1 do
  local id, token, result = ARGV[7 + i * 3], ARGV[8 + i * 3], ARGV[9 + i * 3]
  local t = tasks[id]
  if not t then
    reply3(results, 0, 'NOT_FOUND', '')
  elseif t.s == SUCCEEDED and t.lt == token then
    reply3(results, 1, id, taskRecord(t, view))
  else
    local leaseError = checkLease(id, t, token, now)
    if leaseError then
      reply3(results, 0, string.sub(leaseError.err, 7), '')
    else
      t.r = result
      local worker = t.w
      completedBy[worker] = (completedBy[worker] or 0) + 1
      moveTo(id, t, SUCCEEDED, now, batch)
      saveTask(id, t, batch)
      emit('succeeded', id, t, worker)
      reply3(results, 1, id, taskRecord(t, view))
    end
  end
end
for worker, count in pairs(completedBy) do
  countInMeta(batch, 'p:' .. worker, count)
end
flushBatch(batch)

-- As claim.lua does, past its checks: a queue with tasks to complete exists.
local claimed, due = {}, NOT_DUE
if taker ~= '' and queueSetting('paused', 0) ~= 1 then
  touchWorker(taker, now)
  redis.call('HSET', K.meta, 'lc', now)
  readyToClaim(now)
  local leased
  claimed, leased, due = claimPending(taker, takeMax, leaseMs, tokens, now)
end
return { results, claimed, expiryTally(), due }
