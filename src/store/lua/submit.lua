-- Submits tasks to one queue. A task id that exists already is returned unchanged (idempotent submit).
-- KEYS: the queue keyset (includes/queue.lua): tasks, pending, scheduled, active, deadlines, done, index, meta.
-- ARGV[1]  number of tasks n
-- ARGV[2]  '1' to reply with whole tasks (with payload), '0' for id and state only
-- ARGV[3..] n groups of TASK_FIELDS fields (see newTask)
-- Returns, per task: { created (0/1), task reply (taskReply: 'full' or 'brief') }.
--@include queue

local n, full = tonumber(ARGV[1]), ARGV[2] == '1'
local now = nowMs()
local results, woke = {}, false
for i = 0, n - 1 do
  local base = 3 + i * TASK_FIELDS
  local id = ARGV[base]
  local t = loadTask(id)
  local created = 0
  if not t then
    created = 1
    id, t = newTask(base, now)
    if t.sc > now then
      moveTo(id, t, SCHEDULED, now)
    else
      moveTo(id, t, PENDING, now)
      woke = true
    end
    saveTask(id, t)
    emit('submitted', id, t, nil)
  end
  results[#results + 1] = { created, taskReply(id, t, full and 'full' or 'brief') }
end
if woke then
  wakeClaimers()
end
return results
