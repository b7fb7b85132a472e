-- Makes finished tasks in the given states PENDING again with a fresh attempt budget (an operator's bulk redrive),
-- scanning the finished tasks oldest first from an offset, at most `limit` per call.
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV[1] states to retry, comma separated numbers (e.g. '5,6' for FAILED and EXHAUSTED)
-- ARGV[2] limit of finished tasks scanned per call
-- ARGV[3] offset: finished tasks already scanned and left alone by earlier calls
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { tasks retried, next offset, 1 when more may remain else 0 }.
--- @include "includes/deadline"
--- @include "includes/emit"
--- @include "includes/keys"
--- @include "includes/loadTask"
--- @include "includes/moveTo"
--- @include "includes/nowMs"
--- @include "includes/reopen"
--- @include "includes/saveTask"
--- @include "includes/states"
--- @include "includes/wakeClaimers"

refuseIfLate()
local wanted = {}
for state in string.gmatch(ARGV[1], '%d+') do
  wanted[tonumber(state)] = true
end
local limit, offset = tonumber(ARGV[2]), tonumber(ARGV[3])
local now = nowMs()
local ids = redis.call('ZRANGE', K.done, offset, offset + limit - 1)
local retried = 0
for _, id in ipairs(ids) do
  local t = loadTask(id)
  if wanted[t.s] then
    reopen(id, t, now)
    t.sc = now
    moveTo(id, t, PENDING, now)
    saveTask(id, t)
    emit('retried', id, t, nil)
    retried = retried + 1
  else
    offset = offset + 1
  end
end
if retried > 0 then
  wakeClaimers()
end
return { retried, offset, #ids == limit and 1 or 0 }
