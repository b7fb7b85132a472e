-- What a claim does before it leases, so that it never waits for the reaper: leases that ran out are released,
-- scheduled tasks whose time has come promoted, and concurrency keys whose rate limit has a token again let back in.
-- Provides readyToClaim(now). Needs the queue's 'kc' setting loaded (includes/queueSetting), releaseExpiredLeases
-- (includes/releaseExpiredLeases), promoteDue (includes/promoteDue), releaseThrottledKeys (includes/keySlots).
--- @include "includes/queueSetting"
--- @include "includes/releaseExpiredLeases"
--- @include "includes/promoteDue"
--- @include "includes/keySlots"

local function readyToClaim(now)
  releaseExpiredLeases(now, 100)
  promoteDue(now, 1000)
  if queueSetting('kc', 0) > 0 then
    releaseThrottledKeys(now)
  end
end
