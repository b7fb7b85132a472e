-- The per-worker failure counter in meta (f:<worker>): the worker holding a task's lease failed it or let the lease
-- run out.
-- Provides countWorkerFailure(t). Needs K (includes/keys).
--- @include "includes/keys"

local function countWorkerFailure(t)
  if t.w then
    redis.call('HINCRBY', K.meta, 'f:' .. t.w, 1)
  end
end
