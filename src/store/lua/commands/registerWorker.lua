-- Records a worker in the registry, or refreshes it: first seen is kept, last seen is now, descriptive fields are
-- replaced when given, and the queues it serves are merged (the most recent 50 kept).
-- KEYS[1] workers  hash  worker id -> JSON { hostname, pid, sdk_name, sdk_version, labels, queues, first_seen }
-- KEYS[2] seen     zset  worker id, score = last seen (ms)
-- ARGV[1] worker id
-- ARGV[2] JSON of the descriptive fields given (hostname, pid, sdk_name, sdk_version, labels); '' for none
-- ARGV[3] JSON list of queue names it works on now
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns the last seen time (ms).
--- @include "includes/deadline"
--- @include "includes/formatInt"
--- @include "includes/nowMs"

refuseIfLate()
local now = nowMs()
local id = ARGV[1]
local stored = redis.call('HGET', KEYS[1], id)
local worker = stored and cjson.decode(stored) or { first_seen = now, queues = {} }
if ARGV[2] ~= '' then
  for key, value in pairs(cjson.decode(ARGV[2])) do
    worker[key] = value
  end
end
local queues, seen = {}, {}
for _, list in ipairs({ cjson.decode(ARGV[3]), worker.queues or {} }) do
  for _, queue in ipairs(list) do
    if not seen[queue] and #queues < 50 then
      seen[queue] = true
      queues[#queues + 1] = queue
    end
  end
end
worker.queues = queues
redis.call('HSET', KEYS[1], id, cjson.encode(worker))
redis.call('ZADD', KEYS[2], int(now), id)
return now
