-- Changes queue settings. Resuming a paused queue wakes the claims waiting on it.
-- KEYS: the queue keyset (includes/queue.lua).
-- ARGV pairs: setting name (paused, ma, ld, rt, ring, er, ea), value (a number; 0 removes the setting, so its
-- default applies)
-- Returns 1.
--@include queue

local resumed, paused = false, false
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == '0' then
    redis.call('HDEL', K.meta, ARGV[i])
  else
    redis.call('HSET', K.meta, ARGV[i], ARGV[i + 1])
  end
  if ARGV[i] == 'paused' then
    resumed, paused = ARGV[i + 1] == '0', ARGV[i + 1] == '1'
  end
  if ARGV[i] == 'ring' then
    redis.call('LTRIM', K.completed, 0, tonumber(ARGV[i + 1]) - 1)
  end
end
if resumed then
  wakeClaimers()
  emitQueueEvent('resumed')
elseif paused then
  emitQueueEvent('paused')
else
  emitQueueEvent('queue_updated', unpack(ARGV))
end
return 1
