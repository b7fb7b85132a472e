-- A score shared by many tasks of one batch (the batch's time, a lease expiry), formatted once per script run: a
-- number passed to redis.call is formatted by Redis with %.17g again for each task.
-- Provides sharedScore(n). Needs int (includes/formatInt).
--- @include "includes/formatInt"

local sharedScoreTexts = {}
local function sharedScore(n)
  local text = sharedScoreTexts[n]
  if not text then
    text = int(n)
    sharedScoreTexts[n] = text
  end
  return text
end
