-- Tells a parent that some of its children finished: records each child's outcome and re-derives the parent's
-- state from its children's. Idempotent by each child's end time: an outcome already recorded (or a newer one)
-- changes nothing, so the outbox may deliver a notice twice (src/domain/flows.ts) and a parent is released once.
-- A parent WAITING_CHILDREN becomes FAILED when a child failed under FAIL_PARENT, else PENDING (or SCHEDULED, if
-- its own schedule time has not come) once no child is outstanding. A parent FAILED that way waits again, or is
-- released, once no failed child is left failed (RetryTask of the child, then its success). Other parents only
-- record the outcomes.
-- KEYS: the parent's queue keyset (includes/keys.lua).
-- ARGV[1] parent id
-- ARGV[2] number of children n
-- ARGV[3..] n groups of CHILD_FIELDS: the child's queue, id, state (terminal), end time (ms), failure policy (1 fail
--           the parent, 2 ignore, 3 remove), result ('' when none), last error as JSON in its record ('' when none)
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { the parent's state number (0: no such parent), 1 if this call released the parent else 0 }.
--- @include "includes/appendError"
--- @include "includes/deadline"
--- @include "includes/emit"
--- @include "includes/flowChildren"
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/moveTo"
--- @include "includes/nowMs"
--- @include "includes/reopen"
--- @include "includes/saveTask"
--- @include "includes/states"
--- @include "includes/wakeClaimers"

refuseIfLate()
local CHILD_FIELDS, FAIL_PARENT, IGNORE = 7, 1, 2
-- Outcome kinds: the child succeeded, failed and fails its parent, failed and is ignored, failed and is removed.
local OK, FAILS, IGNORED, REMOVED = 1, 2, 3, 4
local parentId, n = ARGV[1], tonumber(ARGV[2])
local now = nowMs()
local p = loadTask(parentId)
if not p or not p.nc then
  return { 0, 0 }
end

-- n: children not yet satisfied (unfinished, or failed under FAIL_PARENT); f: of those, the failed ones.
local outstandingBy, failedBy, failure = 0, 0, nil
for i = 0, n - 1 do
  local base = 3 + i * CHILD_FIELDS
  local childQueue, childId = ARGV[base], ARGV[base + 1]
  local state, endTime, policy = tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4])
  local field = outcomeField(parentId, childQueue, childId)
  local previous = redis.call('HGET', K.flows, field)
  -- HGET replies false for a missing field.
  local before = nil
  if previous then
    before = cmsgpack.unpack(previous)
  end
  if not before or before.et < endTime then
    local kind = OK
    if state ~= SUCCEEDED then
      kind = policy == FAIL_PARENT and FAILS or (policy == IGNORE and IGNORED or REMOVED)
    end
    local outcome = { s = state, et = endTime, k = kind }
    if ARGV[base + 5] ~= '' then
      outcome.r = ARGV[base + 5]
    end
    if ARGV[base + 6] ~= '' then
      outcome.e = ARGV[base + 6]
    end
    redis.call('HSET', K.flows, field, cmsgpack.pack(outcome))
    local wasSatisfied = before ~= nil and before.k ~= FAILS
    local satisfied = kind ~= FAILS
    if wasSatisfied ~= satisfied then
      outstandingBy = outstandingBy + (satisfied and -1 or 1)
    end
    failedBy = failedBy + (kind == FAILS and 1 or 0) - ((before and before.k == FAILS) and 1 or 0)
    if kind == FAILS and not failure then
      failure = 'child ' .. childQueue .. '/' .. childId .. ' finished ' .. STATE_NAMES[state]
    end
  end
end
local outstanding, failed
if outstandingBy ~= 0 then
  outstanding = redis.call('HINCRBY', K.flows, 'n:' .. parentId, outstandingBy)
else
  outstanding = tonumber(redis.call('HGET', K.flows, 'n:' .. parentId))
end
if failedBy ~= 0 then
  failed = redis.call('HINCRBY', K.flows, 'f:' .. parentId, failedBy)
else
  failed = tonumber(redis.call('HGET', K.flows, 'f:' .. parentId)) or 0
end

local function release()
  if p.sc > now then
    moveTo(parentId, p, SCHEDULED, now)
  else
    p.sc = now
    moveTo(parentId, p, PENDING, now)
    wakeClaimers()
  end
  saveTask(parentId, p)
  emit('children_finished', parentId, p, nil)
  return { p.s, 1 }
end

if p.s == WAITING_CHILDREN then
  if failed > 0 then
    p.wf = 1
    appendError(p, 'ChildFailed', failure or 'a child failed', '', now)
    moveTo(parentId, p, FAILED, now)
    saveTask(parentId, p)
    emit('failed', parentId, p, nil)
  elseif outstanding <= 0 then
    return release()
  end
elseif p.s == FAILED and p.wf and failed == 0 then
  reopen(parentId, p, now)
  if outstanding <= 0 then
    return release()
  end
  moveTo(parentId, p, WAITING_CHILDREN, now)
  saveTask(parentId, p)
  emit('retried', parentId, p, nil)
end
return { p.s, 0 }
