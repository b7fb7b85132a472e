-- The ring of the newest finished tasks (KEYS completed), newest first, at most the queue's `ring` setting long.
-- Provides pushFinished(ids). Needs K (includes/keys), queueSetting (includes/queueSetting), DEFAULT_RING_SIZE
-- (includes/defaults), callInChunks (includes/callInChunks).
--- @include "includes/keys"
--- @include "includes/queueSetting"
--- @include "includes/defaults"
--- @include "includes/callInChunks"

local function pushFinished(ids)
  local ringSize = queueSetting('ring', DEFAULT_RING_SIZE)
  if callInChunks('LPUSH', K.completed, ids) > ringSize then
    redis.call('LTRIM', K.completed, 0, ringSize - 1)
  end
end
