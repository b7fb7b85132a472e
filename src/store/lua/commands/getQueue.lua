-- Reads what an operator sees of a queue, in O(1) Redis work (no scan over tasks): counts per state, the age of
-- the longest-waiting pending task, settings, when a worker last claimed, and how many workers were seen lately.
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV[1] a worker seen within this many ms counts as live
-- Returns { counts[1..8], oldest pending age ms or -1, paused (0/1), max attempts, lease ms, retention ms or 0,
--           ring size, last claim time ms or 0, live workers, event retention, event max age ms or 0,
--           max pending tasks or 0, max stored payload bytes or 0, stored payload bytes, unique keys stored,
--           parents waiting for children, concurrency key limit or 0, tasks waiting for a slot of their concurrency
--           key, flat list of key, ACTIVE tasks, waiting tasks for the TOP_KEYS keys with the most ACTIVE tasks, claim
--           rate limit claims or 0, its period ms, key rate limit claims or 0, its period ms, throttled claims,
--           throttled ms in all (including a throttle going on), tasks held back by a key's rate, keys waiting for a
--           token, the partition count history ('' for a queue never partitioned: see domain/partitions.ts) }.
--- @include "includes/defaults"
--- @include "includes/keys"
--- @include "includes/nowMs"
--- @include "includes/oldestPendingAge"
--- @include "includes/queueSetting"
--- @include "includes/stateCounts"

local now = nowMs()
loadQueueSettings('paused', 'ma', 'ld', 'rt', 'ring', 'lc', 'er', 'ea', 'qp', 'qb', 'pb', 'kl', 'rc', 'rp', 'kc', 'kp', 'rn', 'rs',
  'rd', 'kn')
local reply = stateCounts()
reply[9] = oldestPendingAgeMs(now)
reply[10] = queueSetting('paused', 0)
reply[11] = queueSetting('ma', DEFAULT_MAX_ATTEMPTS)
reply[12] = queueSetting('ld', DEFAULT_LEASE_MS)
reply[13] = queueSetting('rt', 0)
reply[14] = queueSetting('ring', DEFAULT_RING_SIZE)
reply[15] = queueSetting('lc', 0)
reply[16] = redis.call('ZCOUNT', K.workers, now - tonumber(ARGV[1]), '+inf')
reply[17] = queueSetting('er', DEFAULT_EVENT_RETENTION)
reply[18] = queueSetting('ea', 0)
reply[19] = queueSetting('qp', 0)
reply[20] = queueSetting('qb', 0)
reply[21] = queueSetting('pb', 0)
reply[22] = redis.call('HLEN', K.unique)
reply[23] = redis.call('ZCARD', K.waiting)
reply[24] = queueSetting('kl', 0)
reply[25] = redis.call('ZCARD', K.keyWaiting)
local TOP_KEYS = 10
local top = {}
local busiest = redis.call('ZREVRANGEBYSCORE', K.keyActive, '+inf', '(0', 'WITHSCORES', 'LIMIT', 0, TOP_KEYS)
for i = 1, #busiest, 2 do
  local key = busiest[i]
  top[#top + 1] = key
  top[#top + 1] = tonumber(busiest[i + 1])
  top[#top + 1] = redis.call('ZLEXCOUNT', K.keyWaiting, '[' .. key .. '\0', '(' .. key .. '\1')
end
reply[26] = top
reply[27] = queueSetting('rc', 0)
reply[28] = queueSetting('rp', 0)
reply[29] = queueSetting('kc', 0)
reply[30] = queueSetting('kp', 0)
reply[31] = queueSetting('rn', 0)
local throttledSince = queueSetting('rs', 0)
reply[32] = queueSetting('rd', 0) + (throttledSince > 0 and now - throttledSince or 0)
reply[33] = queueSetting('kn', 0)
reply[34] = redis.call('ZCARD', K.keyThrottled)
reply[35] = redis.call('HGET', K.meta, 'ph') or ''
return reply
