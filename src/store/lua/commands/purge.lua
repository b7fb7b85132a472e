-- Deletes up to `limit` scheduled, pending and waiting (WAITING_CHILDREN) tasks of a queue, and finished ones too
-- when asked, each with its log. Active tasks are never purged (their workers hold leases). The caller repeats
-- until nothing is left.
-- Keyed tasks waiting for a slot go before the claimable ones, so a slot a purged task gives back is not refilled
-- (includes/keySlots).
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV[1] '1' to purge finished tasks as well
-- ARGV[2] limit per call
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { tasks deleted, 1 when more may remain else 0 }.
--- @include "includes/deadline"
--- @include "includes/emitQueueEvent"
--- @include "includes/forgetChildren"
--- @include "includes/keys"
--- @include "includes/keySlots"
--- @include "includes/loadTask"
--- @include "includes/states"
--- @include "includes/storedBytes"
--- @include "includes/uniqueKeys"

refuseIfLate()
local withFinished, limit = ARGV[1] == '1', tonumber(ARGV[2])
local deleted, freed = 0, 0
local sources = { K.scheduled, K.keyWaiting, K.pending, K.waiting }
if withFinished then
  sources[#sources + 1] = K.done
end
for _, source in ipairs(sources) do
  local ids = redis.call('ZRANGE', source, 0, limit - deleted - 1)
  for _, member in ipairs(ids) do
    local id = member
    if source == K.keyWaiting then
      id = waitingTaskId(member)
    end
    local t = loadTask(id)
    freed = freed + #(t.p or '')
    redis.call('ZREM', source, member)
    if t.ck and source == K.pending then
      dropHeldSlot(t.ck)
    end
    redis.call('ZREM', K.index, id)
    redis.call('HDEL', K.tasks, id)
    redis.call('HDEL', K.logs, id)
    if t.xt then
      redis.call('ZREM', K.deadlines, id)
    end
    if isTerminal(t.s) then
      redis.call('HINCRBY', K.meta, 'n' .. t.s, -1)
    end
    forgetUniqueKey(id, t)
    forgetChildren(id, t)
    deleted = deleted + 1
  end
  if deleted >= limit then
    countStoredBytes(-freed)
    emitQueueEvent('purged', 'n', deleted)
    return { deleted, 1 }
  end
end
if withFinished then
  redis.call('DEL', K.completed)
end
countStoredBytes(-freed)
emitQueueEvent('purged', 'n', deleted)
return { deleted, 0 }
