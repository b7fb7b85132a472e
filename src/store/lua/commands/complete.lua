-- Completes tasks of one queue with their results; each item succeeds or fails alone. Repeating a completion with
-- the same token after success returns the task again, so a worker may retry over a flaky network.
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs.
-- ARGV[1] number of items n
-- ARGV[2] reply view of each task: 'full', 'meta' or 'brief' (see taskRecord)
-- ARGV[3..] n triples: task id, lease token, result bytes
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns a flat list, three values per item: 1, task id, task record (see taskRecord); or 0, 'NOT_FOUND' |
-- 'TOKEN_MISMATCH <state>' | 'LEASE_EXPIRED <state>', ''.
--- @include "includes/batch"
--- @include "includes/checkLease"
--- @include "includes/deadline"
--- @include "includes/emit"
--- @include "includes/flatReply"
--- @include "includes/loadTasks"
--- @include "includes/moveTo"
--- @include "includes/nowMs"
--- @include "includes/queueSetting"
--- @include "includes/saveTask"
--- @include "includes/states"
--- @include "includes/taskRecord"

refuseIfLate()
-- Completions counted per worker and written once per worker, since a batch usually comes from one worker.
local completedBy = {}

local n, view = tonumber(ARGV[1]), ARGV[2]
local now = nowMs()
local ids = {}
for i = 0, n - 1 do
  ids[i + 1] = ARGV[3 + i * 3]
end
local tasks = loadTasks(ids)
loadQueueSettings('ring', 'er', 'ea', 'kl', 'kc')
local batch = newBatch()
local results = {}
for i = 0, n - 1 do
  local id, token, result = ARGV[3 + i * 3], ARGV[4 + i * 3], ARGV[5 + i * 3]
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
return results
