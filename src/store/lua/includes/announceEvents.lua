-- Tells every service replica that this queue's stream has new events, once per script run: the stream key is
-- published on the events channel (src/store/keys.ts Keyspace.eventsChannel). Replicas read a watched queue's stream
-- when told, so no replica holds a blocking connection per watched queue.
-- Provides announceEventsOnce(). Needs K (includes/keys).
--- @include "includes/channels"
--- @include "includes/keys"

local eventsAnnounced = false
local function announceEventsOnce()
  if eventsAnnounced then
    return
  end
  eventsAnnounced = true
  redis.call('PUBLISH', channelName('events'), K.events)
end
