-- The current lease's length: asked for by the worker, else the task's default lease, else the default of all.
-- Provides leaseLengthOf(t). Needs DEFAULT_LEASE_MS (includes/defaults).
--- @include "includes/defaults"

local function leaseLengthOf(t)
  return t.ll or t.ld or DEFAULT_LEASE_MS
end
