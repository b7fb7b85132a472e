-- Task states, numbered as the proto enum and src/store/taskCodec.ts number them.
-- Provides SCHEDULED, PENDING, ACTIVE, SUCCEEDED, FAILED, EXHAUSTED, CANCELLED, EXPIRED, WAITING_CHILDREN,
-- STATE_NAMES (for error replies) and isTerminal(state). Needs nothing.

local SCHEDULED, PENDING, ACTIVE, SUCCEEDED, FAILED, EXHAUSTED, CANCELLED, EXPIRED, WAITING_CHILDREN = 1, 2, 3, 4, 5, 6, 7, 8, 9
local STATE_NAMES = {
  'SCHEDULED', 'PENDING', 'ACTIVE', 'SUCCEEDED', 'FAILED', 'EXHAUSTED', 'CANCELLED', 'EXPIRED', 'WAITING_CHILDREN',
}

local function isTerminal(state)
  return state >= SUCCEEDED and state <= EXPIRED
end
