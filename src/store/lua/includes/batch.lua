-- The writes of a batch of tasks, gathered per key and sent as one command each by flushBatch: every redis.call has
-- a fixed Lua overhead besides its own work, so a claim or completion of many tasks saves several calls per task.
-- A task moves at most once per batch, and nothing reads the keys written until the flush.
-- Provides newBatch(), zadd(batch, key, score, id), zrem(batch, key, id), countInMeta(batch, field, by),
-- flushBatch(batch); with a nil batch, zadd, zrem and countInMeta write at once. Needs K (includes/keys),
-- callInChunks (includes/callInChunks), pushFinished (includes/finishedRing).
--- @include "includes/keys"
--- @include "includes/callInChunks"
--- @include "includes/finishedRing"

local function newBatch()
  return { records = {}, zadds = { keys = {} }, zrems = { keys = {} }, counts = {}, finished = {} }
end

-- The arguments gathered for one key of `lists` (batch.zadds or batch.zrems), which remember their keys in order.
local function batchList(lists, key)
  local list = lists[key]
  if not list then
    list = {}
    lists[key] = list
    lists.keys[#lists.keys + 1] = key
  end
  return list
end

local function zadd(batch, key, score, id)
  if not batch then
    redis.call('ZADD', key, score, id)
    return
  end
  local list = batchList(batch.zadds, key)
  list[#list + 1] = score
  list[#list + 1] = id
end

local function zrem(batch, key, id)
  if not batch then
    redis.call('ZREM', key, id)
    return
  end
  local list = batchList(batch.zrems, key)
  list[#list + 1] = id
end

local function countInMeta(batch, field, by)
  if batch then
    batch.counts[field] = (batch.counts[field] or 0) + by
  else
    redis.call('HINCRBY', K.meta, field, by)
  end
end

-- Sends a batch's writes: records, then index removals and additions, counts, and the finished ring.
local function flushBatch(batch)
  if #batch.records > 0 then
    callInChunks('HSET', K.tasks, batch.records)
  end
  for _, key in ipairs(batch.zrems.keys) do
    callInChunks('ZREM', key, batch.zrems[key])
  end
  for _, key in ipairs(batch.zadds.keys) do
    callInChunks('ZADD', key, batch.zadds[key])
  end
  for field, by in pairs(batch.counts) do
    redis.call('HINCRBY', K.meta, field, by)
  end
  if #batch.finished > 0 then
    pushFinished(batch.finished)
  end
end
