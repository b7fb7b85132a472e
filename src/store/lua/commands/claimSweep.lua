-- Hands the next stretch of the slow maintenance sweep to one replica. The replicas share one cursor over the
-- list of known queues (each replica sorts its copy of the list the same way), advanced at one pace for them all:
-- `count` queues per `interval`, at most `perSecond` a second. So each queue is swept by one replica per round,
-- the sweep costs the deployment the same however many replicas share it, and a replica that dies simply stops
-- asking: the others' requests cover its share.
-- The pace is kept in Redis time, so replicas whose clocks disagree still share it evenly.
-- KEYS[1] sweep  hash  at (Redis time ms: how far the pace has been paid out), pos (positions handed out so far)
-- ARGV[1] queues known (count)
-- ARGV[2] interval (ms): every queue once per interval
-- ARGV[3] most queues a second
-- ARGV[4] most queues handed out at once: time beyond that is not owed (the sweep is a backstop, not a debt)
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { first position handed out, how many }: positions count up for ever; the replica takes them modulo
-- the length of its list.
--- @include "includes/deadline"
--- @include "includes/nowMs"

refuseIfLate()
local count, interval, perSecond, most = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = nowMs()
local state = redis.call('HMGET', KEYS[1], 'at', 'pos')
local at, pos = tonumber(state[1]), tonumber(state[2]) or 0
local perMs = math.min(count / interval, perSecond / 1000)
if at == nil or at > now or perMs <= 0 then
  redis.call('HSET', KEYS[1], 'at', now, 'pos', pos)
  return { pos, 0 }
end
local n = math.floor((now - at) * perMs)
if n < 1 then
  return { pos, 0 }
end
if n > most then
  n = most
  at = now
else
  at = at + math.floor(n / perMs)
end
redis.call('HSET', KEYS[1], 'at', at, 'pos', pos + n)
return { pos, n }
