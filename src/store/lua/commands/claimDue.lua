-- Hands queues that are due for maintenance to one replica: takes them out of the due index and claims each for
-- a short while, so the other replicas leave them alone. The replica reaps them and then gives its claims back
-- with their next due times (reschedule.lua). A claim not given back by its time (the replica died or stalled) is
-- handed out again, to whichever replica asks first.
-- KEYS[1] due     zset  queue name, score = when it is due (ms); due times noted by any replica (ZADD LT)
-- KEYS[2] claims  zset  queue name, score = when the replica's claim on it lapses (ms)
-- ARGV[1] now (ms)
-- ARGV[2] most queues handed out
-- ARGV[3] how long a claim lasts (ms)
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { when the claims lapse (ms), queue name, ... }.
--- @include "includes/deadline"

refuseIfLate()
local now, most, claimMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local claimedUntil = now + claimMs
local reply = { claimedUntil }
local taken = {}
local function take(queue)
  if not taken[queue] and #reply - 1 < most then
    taken[queue] = true
    reply[#reply + 1] = queue
  end
end

-- Claims that lapsed first: what their replica took out of the due index is due nowhere else.
for _, queue in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, most)) do
  take(queue)
end
-- A queue under a live claim stays in the index: its claimant merges that due time when it gives the claim back.
-- Those are stepped over, a bounded number of them.
local offset = 0
while #reply - 1 < most and offset < 4 * most do
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', offset, most)
  for _, queue in ipairs(due) do
    local lapses = tonumber(redis.call('ZSCORE', KEYS[2], queue))
    if #reply - 1 >= most then
      break
    elseif lapses ~= nil and lapses > now then
      offset = offset + 1
    else
      take(queue)
      redis.call('ZREM', KEYS[1], queue)
    end
  end
  if #due < most then
    break
  end
end

local claims = {}
for i = 2, #reply do
  claims[#claims + 1] = claimedUntil
  claims[#claims + 1] = reply[i]
end
if #claims > 0 then
  redis.call('ZADD', KEYS[2], unpack(claims))
end
return reply
