-- Gives back a replica's claim on a queue after its reap (see claimDue.lua) and records when the queue is next
-- due, in the index every replica's maintenance claims from: the sooner of the reap's answer and any due time
-- noted since the claim.
-- KEYS[1] due     zset  queue name, score = when it is next due (ms)
-- KEYS[2] claims  zset  queue name, score = when the replica's claim on it lapses (ms)
-- ARGV[1] queue name
-- ARGV[2] when the replica's claim lapses (ms), as claimDue.lua answered: a claim handed out since to another
--         replica (this one's had lapsed) is left to that replica
-- ARGV[3] when the queue is next due (ms); '' for nothing due
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns 1 when the queue stays in the index.
--- @include "includes/deadline"

refuseIfLate()
local queue, claimedUntil, nextDue = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if tonumber(redis.call('ZSCORE', KEYS[2], queue)) == claimedUntil then
  redis.call('ZREM', KEYS[2], queue)
end
if nextDue then
  redis.call('ZADD', KEYS[1], 'LT', nextDue, queue)
  return 1
end
return redis.call('ZSCORE', KEYS[1], queue) and 1 or 0
