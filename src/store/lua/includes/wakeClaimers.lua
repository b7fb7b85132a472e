-- Tells the claims waiting on any service replica that this queue may have claimable tasks: the queue's tasks key
-- is published on the wake channel (src/store/keys.ts Keyspace.wakeChannel).
-- Provides wakeClaimers(). Needs K (includes/keys).
--- @include "includes/channels"
--- @include "includes/keys"

local function wakeClaimers()
  redis.call('PUBLISH', channelName('wake'), K.tasks)
end
