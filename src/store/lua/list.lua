-- Lists tasks newest first (by creation sequence), optionally of one state. Pending tasks are not in the index:
-- they are read from `pending`, whose score within each priority band is their creation sequence, and merged in.
-- A state other than PENDING is found by scanning at most `scan` index entries per call, so a rare state cannot
-- make one call walk the whole queue; the caller pages on with the cursor.
-- KEYS: the queue keyset (includes/queue.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events.
-- ARGV[1] state number (0: any)
-- ARGV[2] page size
-- ARGV[3] cursor: list tasks with a sequence below it ('+inf' for the first page)
-- ARGV[4] max index entries to scan
-- ARGV[5] '1' to include payload and result
-- Returns { next cursor or '' at the end, { task reply }... }.
--@include queue

local state, pageSize, cursor, scan, withBytes =
  tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1'
local view = withBytes and 'full' or 'meta'
local upper = cursor == '+inf' and '+inf' or '(' .. cursor

-- Up to `limit` { sequence, id } of each priority band below the cursor.
local function pendingBelowCursor(limit, into)
  for band = 0, 18 do
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
  local tasks, next = {}, ''
  for i = 1, #entries, 2 do
    local id = entries[i]
    local t = loadTask(id)
    if t.s == state then
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
  return { next, tasks }
end

-- Every candidate below the cursor, one more than a page, newest first: more than a page means more pages.
local candidates = {}
if state == 0 then
  local entries = redis.call('ZREVRANGEBYSCORE', K.index, upper, '-inf', 'WITHSCORES', 'LIMIT', 0, pageSize + 1)
  for i = 1, #entries, 2 do
    candidates[#candidates + 1] = { tonumber(entries[i + 1]), entries[i] }
  end
end
pendingBelowCursor(pageSize + 1, candidates)
table.sort(candidates, function(a, b)
  return a[1] > b[1]
end)
local tasks = {}
for i = 1, math.min(pageSize, #candidates) do
  local id = candidates[i][2]
  tasks[#tasks + 1] = taskReply(id, loadTask(id), view)
end
local next = ''
if #candidates > pageSize then
  next = int(candidates[pageSize][1])
end
return { next, tasks }
