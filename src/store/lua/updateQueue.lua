-- Changes queue settings. Resuming a paused queue wakes the claims waiting on it.
-- KEYS: the queue keyset (includes/queue.lua).
-- ARGV pairs: setting name (paused, ma, ld, rt, ring), value (a number)
-- Returns 1.
--@include queue

local resumed = false
for i = 1, #ARGV, 2 do
  redis.call('HSET', K.meta, ARGV[i], ARGV[i + 1])
  if ARGV[i] == 'paused' and ARGV[i + 1] == '0' then
    resumed = true
  end
  if ARGV[i] == 'ring' then
    redis.call('LTRIM', K.completed, 0, tonumber(ARGV[i + 1]) - 1)
  end
end
if resumed then
  wakeClaimers()
end
return 1
