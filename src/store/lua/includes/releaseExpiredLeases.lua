-- Releases leases that ran out (see includes/expireLease), so that a claim never waits for the reaper.
-- Provides releaseExpiredLeases(now, limit): returns how many tasks became PENDING again. Needs K (includes/keys),
-- PENDING (includes/states), loadTask (includes/loadTask), expireLease (includes/expireLease), saveTask
-- (includes/saveTask).
--- @include "includes/keys"
--- @include "includes/states"
--- @include "includes/loadTask"
--- @include "includes/expireLease"
--- @include "includes/saveTask"

local function releaseExpiredLeases(now, limit)
  local requeued = 0
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', K.active, '-inf', now, 'LIMIT', 0, limit)) do
    local t = loadTask(id)
    if expireLease(id, t, now) == PENDING then
      requeued = requeued + 1
    end
    saveTask(id, t)
  end
  return requeued
end
