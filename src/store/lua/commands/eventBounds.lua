-- Where a watcher may start in the queue's event stream: after the last event ever appended ("now"), or after a
-- cursor, which is sound only if nothing after it was trimmed. Read in one step, so the two agree. The last
-- appended position outlives its event: once every event has aged out, a cursor at it has still missed nothing.
-- KEYS: the queue keyset (includes/keys.lua); only events is read.
-- (no ARGV)
-- Returns { last appended position, oldest retained position or '' when none is left, the last position trimmed
-- ('0-0' when none ever was) }, or nil when the queue has no stream yet.
--- @include "includes/keys"

if redis.call('EXISTS', K.events) == 0 then
  return nil
end
local info = redis.call('XINFO', 'STREAM', K.events)
local last, first, trimmed = '0-0', '', '0-0'
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then
    last = info[i + 1]
  elseif info[i] == 'first-entry' and info[i + 1] then
    first = info[i + 1][1]
  elseif info[i] == 'max-deleted-entry-id' then
    trimmed = info[i + 1]
  end
end
return { last, first, trimmed }
