-- A queue-level event (an operator's control), appended to the queue's stream like a task's (see includes/emit).
-- Provides emitQueueEvent(kind, ...): the details as field/value pairs. Needs K (includes/keys), trimEventsOnce
-- (includes/trimEvents), announceEventsOnce (includes/announceEvents).
--- @include "includes/keys"
--- @include "includes/trimEvents"
--- @include "includes/announceEvents"

local function emitQueueEvent(kind, ...)
  trimEventsOnce()
  announceEventsOnce()
  redis.call('XADD', K.events, '*', 'ev', kind, ...)
end
