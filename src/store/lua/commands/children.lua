-- Reads a page of a parent's children and the outcomes recorded for those that finished (includes/flowChildren).
-- KEYS: the parent's queue keyset (includes/keys.lua).
-- ARGV[1] parent id
-- ARGV[2] the first child's position (0-based, submit order)
-- ARGV[3] most children
-- ARGV[4] most result bytes in the page (the first child always fits); 0: outcomes without results
-- Returns { the children list of the page ('' when the task has none or is gone), { outcome record or '' per child
--           of the page }, the position after the page or -1 at the end }.
--- @include "includes/flowChildren"
--- @include "includes/keys"

local parentId, first, most, maxBytes = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local list = redis.call('HGET', K.flows, 'c:' .. parentId)
if not list then
  return { '', {}, -1 }
end
local refs = childRefs(list)
local lines, outcomes, bytes = {}, {}, 0
local position = first
while position < #refs and #lines < most do
  local ref = refs[position + 1]
  local blob = redis.call('HGET', K.flows, outcomeField(parentId, ref[2], ref[3]))
  if blob then
    local outcome = cmsgpack.unpack(blob)
    if maxBytes == 0 and outcome.r then
      outcome.r = nil
      blob = cmsgpack.pack(outcome)
    elseif outcome.r then
      if #lines > 0 and bytes + #outcome.r > maxBytes then
        break
      end
      bytes = bytes + #outcome.r
    end
  end
  lines[#lines + 1] = ref[1] .. ' ' .. ref[2] .. ' ' .. ref[3]
  outcomes[#outcomes + 1] = blob or ''
  position = position + 1
end
return { table.concat(lines, '\n'), outcomes, position < #refs and position or -1 }
