-- Submits the tasks of one queue that belong to a flow (SubmitFlow): a task with children waits in WAITING_CHILDREN,
-- with its children's list and count recorded in the flows hash; a task without is scheduled or pending as any
-- submit's. A task id that exists already is returned unchanged, so a flow submitted again creates only what is
-- missing. The domain submits a flow top down (src/domain/flows.ts), so a parent exists before its children.
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV[1]  number of tasks n
-- ARGV[2]  registration: '1' just registered, '0' registered earlier (see includes/registration)
-- ARGV[3..] n groups of TASK_FIELDS fields (see newTask), each followed by FLOW_FIELDS: parent queue, parent id,
--           root queue, root id (all empty for a root), failure policy (1-3, see includes/flowChildren), children
--           ('' for none, else as c:<parent> in includes/flowChildren)
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns a flat list of created (0/1), task id, task record without payload and result, per task.
-- Errors: UNREGISTERED | QUOTA <field> <limit> (then nothing was stored)
--- @include "includes/deadline"
--- @include "includes/emit"
--- @include "includes/flatReply"
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/moveTo"
--- @include "includes/newTask"
--- @include "includes/nowMs"
--- @include "includes/registration"
--- @include "includes/reject"
--- @include "includes/saveTask"
--- @include "includes/states"
--- @include "includes/storedBytes"
--- @include "includes/taskRecord"
--- @include "includes/wakeClaimers"

refuseIfLate()
local FLOW_FIELDS = 6
local n = tonumber(ARGV[1])
if not registered(ARGV[2]) then
  return reject('UNREGISTERED')
end
local now = nowMs()
local stride = TASK_FIELDS + FLOW_FIELDS
local function flowField(i, k)
  return ARGV[3 + i * stride + TASK_FIELDS + k]
end

-- The queue's quotas are checked for the whole call first: a flow is not stored in part within one queue.
local waiting = redis.call('ZCARD', K.pending) + redis.call('ZCARD', K.scheduled)
local bytes, added, seen = queueSetting('pb', 0), 0, {}
for i = 0, n - 1 do
  local id = ARGV[3 + i * stride]
  if not seen[id] and redis.call('HEXISTS', K.tasks, id) == 0 then
    seen[id] = true
    added = added + #ARGV[3 + i * stride + 1]
    if flowField(i, 5) == '' then
      waiting = waiting + 1
    end
    local refusal = quotaRefusal(waiting, bytes + added)
    if refusal then
      return redis.error_reply('BATON ' .. refusal)
    end
  end
end

local results, woke = {}, false
for i = 0, n - 1 do
  local base = 3 + i * stride
  local id = ARGV[base]
  local t = loadTask(id)
  local created = 0
  if not t then
    created = 1
    id, t = newTask(base, now)
    if flowField(i, 1) ~= '' then
      t.pq, t.pi, t.rq, t.ri = flowField(i, 0), flowField(i, 1), flowField(i, 2), flowField(i, 3)
      local policy = tonumber(flowField(i, 4))
      if policy ~= 1 then
        t.fp = policy
      end
    end
    local children = flowField(i, 5)
    if children ~= '' then
      local _, count = string.gsub(children, '\n', '\n')
      t.nc = count + 1
      redis.call('HSET', K.flows, 'c:' .. id, children, 'n:' .. id, t.nc, 'f:' .. id, 0)
      moveTo(id, t, WAITING_CHILDREN, now)
    elseif t.sc > now then
      moveTo(id, t, SCHEDULED, now)
    else
      moveTo(id, t, PENDING, now)
      woke = true
    end
    saveTask(id, t)
    emit('submitted', id, t, nil)
  end
  reply3(results, created, id, taskRecord(t, 'meta'))
end
countStoredBytes(added)
if woke then
  wakeClaimers()
end
return results
