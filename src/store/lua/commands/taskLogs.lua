-- A task's state and log, for GetTaskLogs and WatchTaskLogs. The log comes back only when it holds lines after
-- the caller's position, so a follower polling a quiet task reads a few bytes.
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs.
-- ARGV[1] task id
-- ARGV[2] position: the log is returned only when its newest line is past it
-- Returns nil when the task does not exist, else { state, oldest position kept, lines kept, log (includes/logBlob)
-- or '' }.
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/logBlob"

local id, after = ARGV[1], tonumber(ARGV[2])
local t = loadTask(id)
if not t then
  return nil
end
local stored = redis.call('HGET', K.logs, id)
local first, count = logHeader(stored)
if not stored or first + count - 1 <= after then
  return { t.s, first, count, '' }
end
return { t.s, first, count, stored }
