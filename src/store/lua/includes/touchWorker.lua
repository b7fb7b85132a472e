-- Records that a worker was active in this queue now (KEYS workers), for worker stats and liveness.
-- Provides touchWorker(workerId, now). Needs K (includes/keys).
--- @include "includes/keys"

local function touchWorker(workerId, now)
  redis.call('ZADD', K.workers, now, workerId)
end
