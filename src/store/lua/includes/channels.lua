-- Names the install's pub/sub channels. A channel is no key (no slot), so it cannot come in KEYS: it is the
-- install's prefix, the part of a queue key before its hash tag ('baton:' or 'baton:<namespace>:', see
-- src/store/keys.ts Keyspace), and the channel's name. So two installs sharing a Redis never hear each other.
-- Provides channelName(). Needs K (includes/keys).
--- @include "includes/keys"

local function channelName(name)
  return string.match(K.tasks, '^[^{]*') .. name
end
