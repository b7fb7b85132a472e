-- A new task from its fields in ARGV, starting at `base`, in the order encodeNewTask in src/store/taskCodec.ts
-- writes them: id, payload, metadata JSON, priority, delay ms (-1: none), schedule time ms (0: none), max attempts
-- (0: the queue's default), default lease ms (0: the queue's default), expire time ms (0: none), then the retry
-- policy: initial backoff ms, max backoff ms, multiplier x1000, jitter x1000, each empty when at its default, then
-- the task type (empty: untyped), the W3C traceparent and tracestate (each empty: none).
-- Provides TASK_FIELDS (fields per task), newTask(base, now, sequence): returns id, task. The caller moves the task
-- into its first state (which indexes it) and saves it. `sequence`: its creation sequence when the caller drew it
-- already (one HINCRBY for a whole submit), else drawn here. Needs K (includes/keys), queueSetting
-- (includes/queueSetting), DEFAULT_MAX_ATTEMPTS and DEFAULT_LEASE_MS (includes/defaults).
--- @include "includes/keys"
--- @include "includes/queueSetting"
--- @include "includes/defaults"

local TASK_FIELDS = 16
local RETRY_FIELDS = { 'bi', 'bx', 'bm', 'bj' }

local function newTask(base, now, sequence)
  local id = ARGV[base]
  local priority, maxAttempts, leaseMs = tonumber(ARGV[base + 3]), tonumber(ARGV[base + 6]), tonumber(ARGV[base + 7])
  if maxAttempts == 0 then
    maxAttempts = queueSetting('ma', DEFAULT_MAX_ATTEMPTS)
  end
  if leaseMs == 0 then
    leaseMs = queueSetting('ld', DEFAULT_LEASE_MS)
  end
  local t = { p = ARGV[base + 1], ct = now, q = sequence or redis.call('HINCRBY', K.meta, 'seq', 1) }
  if priority ~= 0 then
    t.pr = priority
  end
  if maxAttempts ~= DEFAULT_MAX_ATTEMPTS then
    t.ma = maxAttempts
  end
  if leaseMs ~= DEFAULT_LEASE_MS then
    t.ld = leaseMs
  end
  for i, field in ipairs(RETRY_FIELDS) do
    local value = ARGV[base + 8 + i]
    if value ~= '' then
      t[field] = tonumber(value)
    end
  end
  if ARGV[base + 2] ~= '' then
    t.m = ARGV[base + 2]
  end
  if ARGV[base + 13] ~= '' then
    t.ty = ARGV[base + 13]
  end
  if ARGV[base + 14] ~= '' then
    t.tp = ARGV[base + 14]
    if ARGV[base + 15] ~= '' then
      t.tt = ARGV[base + 15]
    end
  end
  local delay, scheduleAt, expireAt = tonumber(ARGV[base + 4]), tonumber(ARGV[base + 5]), tonumber(ARGV[base + 8])
  if scheduleAt > 0 then
    t.sc = scheduleAt
  elseif delay > 0 then
    t.sc = now + delay
  else
    t.sc = now
  end
  if expireAt > 0 then
    t.xt = expireAt
    redis.call('ZADD', K.deadlines, expireAt, id)
  end
  return id, t
end
