-- A parent's children as its queue's flows hash records them (KEYS flows): c:<parent> lists them, one line each,
-- '<policy> <queue> <id>' (policy 1 fail the parent, 2 ignore, 3 remove), in submit order; o:<parent> <queue> <id>
-- holds the outcome recorded when a child finished (includes/childOutcome). Queue names and task ids hold no spaces.
-- Provides childRefs(list): { { policy, queue, id } ... }, outcomeField(parent, queue, id). Needs nothing.

local function childRefs(list)
  local refs = {}
  for line in string.gmatch(list, '[^\n]+') do
    local policy, queue, id = string.match(line, '^(%d) (%S+) (%S+)$')
    refs[#refs + 1] = { tonumber(policy), queue, id }
  end
  return refs
end

local function outcomeField(parent, queue, id)
  return 'o:' .. parent .. ' ' .. queue .. ' ' .. id
end
