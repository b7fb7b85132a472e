-- Lists tasks newest first (by creation sequence), optionally of one state, of one type, with one metadata entry,
-- of one parent and of one flow (root).
-- Pending tasks are not in the index: they are read from `pending`, whose score within each priority band is their
-- creation sequence, and merged in; keyed tasks waiting for a slot of their key are in the index (includes/keySlots),
-- and found among its entries when PENDING is asked for while some wait. A state other than PENDING, a type or a
-- metadata entry is found by scanning at most `scan` candidates per call, so a rare one cannot make one call walk
-- the whole queue; the caller pages on with the cursor.
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs.
-- ARGV[1] state number (0: any)
-- ARGV[2] page size
-- ARGV[3] cursor: list tasks with a sequence below it ('+inf' for the first page)
-- ARGV[4] max index entries to scan
-- ARGV[5] '1' to include payload and result
-- ARGV[6] task type ('': any)
-- ARGV[7] metadata key ('': any metadata), ARGV[8] the value it must have
-- ARGV[9] parent id ('': any), ARGV[10] root id ('': any; a task without a parent is its own root)
-- Returns { next cursor or '' at the end, { task reply }..., tasks examined }.
--- @include "includes/formatInt"
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/priorityBand"
--- @include "includes/states"
--- @include "includes/taskReply"

local state, pageSize, cursor, scan, withBytes, wantedType, metaKey, metaValue =
  tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1', ARGV[6], ARGV[7], ARGV[8]
local view = withBytes and 'full' or 'meta'
local upper = cursor == '+inf' and '+inf' or '(' .. cursor
local parentId, rootId = ARGV[9], ARGV[10]
local waitingKeyed = state == PENDING and redis.call('ZCARD', K.keyWaiting) > 0
local filtered = wantedType ~= '' or metaKey ~= '' or parentId ~= '' or rootId ~= '' or waitingKeyed

local function wanted(id, t)
  if waitingKeyed and t.s ~= PENDING then
    return false
  end
  if wantedType ~= '' and t.ty ~= wantedType then
    return false
  end
  if parentId ~= '' and t.pi ~= parentId then
    return false
  end
  if rootId ~= '' and (t.ri or id) ~= rootId then
    return false
  end
  if metaKey == '' then
    return true
  end
  return t.m ~= nil and cjson.decode(t.m)[metaKey] == metaValue
end

-- Up to `limit` { sequence, id } of each priority band below the cursor.
local function pendingBelowCursor(limit, into)
  for band = 0, PRIORITY_MAX - PRIORITY_MIN do
    local low = band * PRIORITY_BAND
    local high = cursor == '+inf' and '(' .. int(low + PRIORITY_BAND) or '(' .. int(low + tonumber(cursor))
    local entries = redis.call('ZREVRANGEBYSCORE', K.pending, high, low, 'WITHSCORES', 'LIMIT', 0, limit)
    for i = 1, #entries, 2 do
      into[#into + 1] = { tonumber(entries[i + 1]) - low, entries[i] }
    end
  end
  return into
end

if state ~= 0 and state ~= PENDING then
  local entries = redis.call('ZREVRANGEBYSCORE', K.index, upper, '-inf', 'WITHSCORES', 'LIMIT', 0, scan)
  local tasks, next, examined = {}, '', 0
  for i = 1, #entries, 2 do
    local id = entries[i]
    local t = loadTask(id)
    examined = examined + 1
    if t.s == state and wanted(id, t) then
      tasks[#tasks + 1] = taskReply(id, t, view)
      if #tasks == pageSize then
        next = entries[i + 1]
        break
      end
    end
    next = entries[i + 1]
  end
  if #tasks < pageSize and #entries < scan * 2 then
    next = ''
  end
  return { next, tasks, examined }
end

-- Candidates below the cursor, newest first: a page of them, or with a filter as many as a call may scan, and one
-- more, which tells whether more follow. Only the first `limit` of the merge are sure to be the newest.
local limit = filtered and scan or pageSize
local candidates = {}
if state == 0 or waitingKeyed then
  local entries = redis.call('ZREVRANGEBYSCORE', K.index, upper, '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 1)
  for i = 1, #entries, 2 do
    candidates[#candidates + 1] = { tonumber(entries[i + 1]), entries[i] }
  end
end
pendingBelowCursor(limit + 1, candidates)
table.sort(candidates, function(a, b)
  return a[1] > b[1]
end)
local tasks, next = {}, ''
local examined = math.min(limit, #candidates)
for i = 1, examined do
  local id = candidates[i][2]
  local t = loadTask(id)
  if wanted(id, t) then
    tasks[#tasks + 1] = taskReply(id, t, view)
  end
  if #tasks == pageSize then
    examined = i
    break
  end
end
if examined < #candidates then
  next = int(candidates[examined][1])
end
return { next, tasks, examined }
