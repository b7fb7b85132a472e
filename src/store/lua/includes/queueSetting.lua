-- A queue setting from meta (see includes/keys), read from Redis once per script run.
-- Provides queueSetting(field, fallback), loadQueueSettings(...): reads the named settings with one HMGET, for a
-- script that will need several of them (one call instead of one per setting). Needs K (includes/keys).
--- @include "includes/keys"

local settingsCache = {}
local function queueSetting(field, fallback)
  if settingsCache[field] == nil then
    settingsCache[field] = tonumber(redis.call('HGET', K.meta, field)) or false
  end
  return settingsCache[field] or fallback
end

local function loadQueueSettings(...)
  local fields = { ... }
  local values = redis.call('HMGET', K.meta, unpack(fields))
  for i, field in ipairs(fields) do
    settingsCache[field] = tonumber(values[i]) or false
  end
end
