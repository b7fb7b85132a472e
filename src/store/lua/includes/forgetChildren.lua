-- A parent's flow entries (includes/flowChildren) go with it when it is deleted (retention, purge).
-- Provides forgetChildren(id, t). Needs K (includes/keys), callInChunks (includes/callInChunks), childRefs and
-- outcomeField (includes/flowChildren).
--- @include "includes/keys"
--- @include "includes/callInChunks"
--- @include "includes/flowChildren"

local function forgetChildren(id, t)
  if not t.nc then
    return
  end
  local fields = { 'c:' .. id, 'n:' .. id, 'f:' .. id }
  local list = redis.call('HGET', K.flows, 'c:' .. id)
  if list then
    for _, ref in ipairs(childRefs(list)) do
      fields[#fields + 1] = outcomeField(id, ref[2], ref[3])
    end
  end
  callInChunks('HDEL', K.flows, fields)
end
