-- Trims the event stream to the queue's event retention, once per script run: about `er` events and, when the
-- queue sets `ea`, none older than that many ms. Both trim in whole blocks (XTRIM ~), which is cheap; a few more
-- may stay.
-- Provides trimEventsOnce(). Needs K (includes/keys), queueSetting (includes/queueSetting),
-- DEFAULT_EVENT_RETENTION (includes/defaults), nowMs (includes/nowMs).
--- @include "includes/keys"
--- @include "includes/queueSetting"
--- @include "includes/defaults"
--- @include "includes/nowMs"

local eventsTrimmed = false
local function trimEventsOnce()
  if eventsTrimmed then
    return
  end
  eventsTrimmed = true
  redis.call('XTRIM', K.events, 'MAXLEN', '~', queueSetting('er', DEFAULT_EVENT_RETENTION))
  local maxAge = queueSetting('ea', 0)
  if maxAge > 0 then
    redis.call('XTRIM', K.events, 'MINID', '~', nowMs() - maxAge)
  end
end
