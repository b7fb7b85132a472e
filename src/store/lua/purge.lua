-- Deletes up to `limit` scheduled and pending tasks of a queue, and finished ones too when asked. Active tasks are
-- never purged (their workers hold leases). The caller repeats until nothing is left.
-- KEYS: the queue keyset (includes/queue.lua).
-- ARGV[1] '1' to purge finished tasks as well
-- ARGV[2] limit per call
-- Returns { tasks deleted, 1 when more may remain else 0 }.
--@include queue

local withFinished, limit = ARGV[1] == '1', tonumber(ARGV[2])
local deleted = 0
local sources = { K.scheduled, K.pending }
if withFinished then
  sources[#sources + 1] = K.done
end
for _, source in ipairs(sources) do
  local ids = redis.call('ZRANGE', source, 0, limit - deleted - 1)
  for _, id in ipairs(ids) do
    local t = loadTask(id)
    redis.call('ZREM', source, id)
    redis.call('ZREM', K.index, id)
    redis.call('HDEL', K.tasks, id)
    if t.xt then
      redis.call('ZREM', K.deadlines, id)
    end
    if isTerminal(t.s) then
      redis.call('HINCRBY', K.meta, 'n' .. t.s, -1)
    end
    deleted = deleted + 1
  end
  if deleted >= limit then
    emitQueueEvent('purged', 'n', deleted)
    return { deleted, 1 }
  end
end
if withFinished then
  redis.call('DEL', K.completed)
end
emitQueueEvent('purged', 'n', deleted)
return { deleted, 0 }
