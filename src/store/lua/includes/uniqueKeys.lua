-- Unique keys: a submit with a key takes it for its new task, and while the key holds, a submit with it creates
-- nothing and gets that task (see SubmitTaskRequest.unique_key). An entry of K.unique is
-- '<mode> <window end ms, or 0> <task id>'. Whether it holds is decided on reading, from the mode and the task:
--   w  until the window ends, whatever became of the task (reap deletes the entry then: K.uniqueEnds)
--   f  while the task exists and is not finished
--   d  while the task exists and has not started (a debounce submit then pushes it back instead)
-- so a task's finishing changes nothing here; f and d entries are deleted with their task (forgetUniqueKey).
-- Provides readUniques(at), keyHolder(key, now, tasks, taken), takeUniqueKey(unique, id, now): the window end or
-- nil, forgetUniqueKey(id, t), expireUniqueKeys(now, limit). Needs K (includes/keys), loadTask (includes/loadTask),
-- the states (includes/states).
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/states"

local UNIQUE_FIELDS = 4

-- The submit's unique items from ARGV[at]: their count, then per item its number in the submit, key, mode, ms.
-- Returns a table item number -> { key, mode, ms }, empty for an ordinary submit.
local function readUniques(at)
  local uniques = {}
  for i = 0, tonumber(ARGV[at]) - 1 do
    local base = at + 1 + i * UNIQUE_FIELDS
    uniques[tonumber(ARGV[base])] = { key = ARGV[base + 1], mode = ARGV[base + 2], ms = tonumber(ARGV[base + 3]) }
  end
  return uniques
end

local function parseEntry(entry)
  local mode, windowEnd, id = string.match(entry, '^(%a) (%d+) (.+)$')
  return mode, tonumber(windowEnd), id
end

-- Who holds `key` now: { id, mode, windowEnd, t } (t nil when the task is gone), or nil. `tasks`: records loaded
-- already, by id; `taken`: keys taken earlier in this submit, by key (their tasks are new, so they hold).
local function keyHolder(key, now, tasks, taken)
  local holder = taken[key]
  if holder then
    return holder
  end
  local entry = redis.call('HGET', K.unique, key)
  if not entry then
    return nil
  end
  local mode, windowEnd, id = parseEntry(entry)
  if mode == 'w' and windowEnd <= now then
    return nil
  end
  local t = tasks[id] or loadTask(id)
  local holds
  if mode == 'w' then
    holds = true
  elseif not t then
    holds = false
  elseif mode == 'f' then
    holds = not isTerminal(t.s)
  else
    holds = t.s == PENDING or t.s == SCHEDULED
  end
  if holds then
    return { id = id, mode = mode, windowEnd = windowEnd, t = t }
  end
  return nil
end

-- Points `unique.key` at the new task `id`. Returns the window's end for a window, else nil.
local function takeUniqueKey(unique, id, now)
  local windowEnd = 0
  if unique.mode == 'w' then
    windowEnd = now + unique.ms
    redis.call('ZADD', K.uniqueEnds, windowEnd, unique.key)
  end
  redis.call('HSET', K.unique, unique.key, unique.mode .. ' ' .. windowEnd .. ' ' .. id)
  return windowEnd > 0 and windowEnd or nil
end

-- A task is being deleted: its key goes with it, unless the key is held by a window (which outlives the task) or
-- was taken by another task since.
local function forgetUniqueKey(id, t)
  if not t or not t.uk then
    return
  end
  local entry = redis.call('HGET', K.unique, t.uk)
  if entry then
    local mode, _, holder = parseEntry(entry)
    if mode ~= 'w' and holder == id then
      redis.call('HDEL', K.unique, t.uk)
    end
  end
end

-- Deletes up to `limit` window entries whose window ended. Returns how many it looked at.
local function expireUniqueKeys(now, limit)
  local ended = redis.call('ZRANGEBYSCORE', K.uniqueEnds, '-inf', now, 'LIMIT', 0, limit)
  for _, key in ipairs(ended) do
    local entry = redis.call('HGET', K.unique, key)
    if entry then
      local mode, windowEnd = parseEntry(entry)
      if mode == 'w' and windowEnd <= now then
        redis.call('HDEL', K.unique, key)
      end
    end
    redis.call('ZREM', K.uniqueEnds, key)
  end
  return #ended
end
