-- The attempt budget: max attempts, less the attempts made since the last operator retry renewed it.
-- Provides attemptsLeft(t). Needs DEFAULT_MAX_ATTEMPTS (includes/defaults).
--- @include "includes/defaults"

local function attemptsLeft(t)
  return (t.ma or DEFAULT_MAX_ATTEMPTS) - ((t.a or 0) - (t.ab or 0))
end
