-- Lists tasks newest first (by creation sequence), optionally of one state. Scans at most `scan` index entries
-- per call so a rare state cannot make one call walk the whole queue; the caller pages on with the cursor.
-- KEYS: the queue keyset (includes/queue.lua): tasks, pending, scheduled, active, deadlines, done, index, meta.
-- ARGV[1] state number (0: any)
-- ARGV[2] page size
-- ARGV[3] cursor: list tasks with a sequence below it ('+inf' for the first page)
-- ARGV[4] max index entries to scan
-- ARGV[5] '1' to include payload and result
-- Returns { next cursor or '' at the end, { task reply }... }.
--@include queue

local state, pageSize, cursor, scan, withBytes =
  tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1'
local upper = cursor == '+inf' and '+inf' or '(' .. cursor
local entries = redis.call('ZREVRANGEBYSCORE', K.index, upper, '-inf', 'WITHSCORES', 'LIMIT', 0, scan)
local tasks, next = {}, ''
for i = 1, #entries, 2 do
  local id = entries[i]
  local t = loadTask(id)
  if state == 0 or t.s == state then
    tasks[#tasks + 1] = taskReply(id, t, withBytes and 'full' or 'meta')
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
