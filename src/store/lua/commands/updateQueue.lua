-- Changes queue settings. Resuming a paused queue wakes the claims waiting on it; a new concurrency key limit lets
-- as many waiting keyed tasks into `pending` as it now allows, and so does a new rate limit per key (a step per key
-- with waiting tasks). A new queue rate limit starts from a full bucket.
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV[1] registration: '1' just registered, '0' registered earlier (see includes/registration)
-- ARGV[2..] pairs: setting name (paused, ma, ld, rt, ring, er, ea, qp, qb, kl, rc, rp, kc, kp), value (a number; 0 removes the setting, so its
-- default applies)
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns 1, or UNREGISTERED when the queue must be registered again first.
--- @include "includes/deadline"
--- @include "includes/emitQueueEvent"
--- @include "includes/keys"
--- @include "includes/keySlots"
--- @include "includes/nowMs"
--- @include "includes/registration"
--- @include "includes/reject"
--- @include "includes/wakeClaimers"

refuseIfLate()
if not registered(ARGV[1]) then
  return reject('UNREGISTERED')
end
local resumed, paused, changedKeyLimits, changedRate = false, false, false, false
for i = 2, #ARGV, 2 do
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
  if ARGV[i] == 'kl' or ARGV[i] == 'kc' or ARGV[i] == 'kp' then
    changedKeyLimits = true
  end
  if ARGV[i] == 'kc' or ARGV[i] == 'kp' then
    redis.call('DEL', K.keyRates)
  end
  if ARGV[i] == 'rc' or ARGV[i] == 'rp' then
    changedRate = true
    redis.call('HDEL', K.meta, 'ra')
  end
end
if changedKeyLimits then
  letWaitingKeysIn(nowMs())
end
if changedRate then
  local since = tonumber(redis.call('HGET', K.meta, 'rs'))
  if since then
    redis.call('HINCRBY', K.meta, 'rd', nowMs() - since)
    redis.call('HDEL', K.meta, 'rs')
  end
end
if resumed or changedRate or changedKeyLimits then
  wakeClaimers()
end
if resumed then
  emitQueueEvent('resumed')
elseif paused then
  emitQueueEvent('paused')
else
  emitQueueEvent('queue_updated', unpack(ARGV, 2))
end
return 1
