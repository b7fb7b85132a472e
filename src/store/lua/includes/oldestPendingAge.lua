-- How long the longest-waiting pending task has been claimable. The oldest pending task has the lowest creation
-- sequence in its priority band (includes/priorityBand), so the first member of each band is a candidate. It has
-- been claimable since the latest of its creation, its schedule time (a client may set one in the past) and its last
-- error: a lease that expired requeues the task without moving its schedule time, and records a LEASE_EXPIRED error
-- when it does.
-- Provides oldestPendingAgeMs(now): ms, or -1 when none is pending. Needs K (includes/keys), the priority
-- bands (includes/priorityBand), int (includes/formatInt), loadTask (includes/loadTask).
--- @include "includes/keys"
--- @include "includes/priorityBand"
--- @include "includes/formatInt"
--- @include "includes/loadTask"

local function oldestPendingAgeMs(now)
  if redis.call('ZCARD', K.pending) == 0 then
    return -1
  end
  local oldestSeq, oldestId = nil, nil
  for band = 0, PRIORITY_MAX - PRIORITY_MIN do
    local low = band * PRIORITY_BAND
    local first = redis.call('ZRANGEBYSCORE', K.pending, low, '(' .. int(low + PRIORITY_BAND), 'WITHSCORES', 'LIMIT', 0, 1)
    if #first > 0 then
      local seq = tonumber(first[2]) - low
      if oldestSeq == nil or seq < oldestSeq then
        oldestSeq, oldestId = seq, first[1]
      end
    end
  end
  local t = loadTask(oldestId)
  local since = math.max(t.ct, t.sc)
  if t.e then
    local errors = cjson.decode(t.e)
    local last = errors[#errors]
    if last and last.t > since then
      since = last.t
    end
  end
  return math.max(0, now - since)
end
