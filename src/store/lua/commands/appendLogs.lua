-- Appends lines to the log of a task the caller holds, then drops the oldest lines until the log is within its
-- bounds, and tells followers (WatchTaskLogs on any replica) on the logs channel (src/store/keys.ts Keyspace.logsChannel).
-- KEYS: the queue keyset (includes/keys.lua): tasks, pending, scheduled, active, deadlines, done, index, meta,
--       completed, workers, events, logs.
-- ARGV[1] task id
-- ARGV[2] lease token
-- ARGV[3] most lines kept
-- ARGV[4] most text bytes kept
-- ARGV[5] n, the number of lines, then n times: time ms (-1: now), flags (1: truncated), text (at most 65535 bytes)
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { position of the last line appended, position of the oldest line kept }.
-- Errors: BATON NOT_FOUND | TOKEN_MISMATCH <state> | LEASE_EXPIRED <state>
--- @include "includes/channels"
--- @include "includes/deadline"
--- @include "includes/keys"
--- @include "includes/leasedTask"
--- @include "includes/logBlob"
--- @include "includes/nowMs"

refuseIfLate()

local id, token = ARGV[1], ARGV[2]
local maxLines, maxBytes, n = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local now = nowMs()
local t, refusal = leasedTask(id, token, now)
if not t then
  return refusal
end

local stored = redis.call('HGET', K.logs, id)
local first, count = logHeader(stored)
local lines = { stored and string.sub(stored, LOG_HEADER_BYTES + 1) or '' }
for i = 6, 5 + 3 * n, 3 do
  local time = tonumber(ARGV[i])
  lines[#lines + 1] = packLogLine(time < 0 and now or time, t.a, tonumber(ARGV[i + 1]), ARGV[i + 2])
end
local log = table.concat(lines)
count = count + n
local textBytes = #log - count * LOG_LINE_HEADER_BYTES

-- The oldest lines go first; the offset walks past them, and the rest is kept in one copy.
local offset = 1
while count > maxLines or textBytes > maxBytes do
  local length = struct.unpack('>I2', log, offset + LOG_LINE_HEADER_BYTES - 2)
  offset = offset + LOG_LINE_HEADER_BYTES + length
  textBytes = textBytes - length
  count = count - 1
  first = first + 1
end
redis.call('HSET', K.logs, id, packLog(first, count, offset == 1 and log or string.sub(log, offset)))
redis.call('PUBLISH', channelName('logs'), K.logs .. ' ' .. id)
return { first + count - 1, first }
