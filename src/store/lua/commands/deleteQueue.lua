-- Deletes a queue's every key: tasks, indexes, settings, counters, the completed ring, workers seen and the event
-- stream. UNLINK frees big values in the background, so this costs one step per key whatever the queue holds.
-- Refused while tasks are leased, unless forced: their workers' heartbeats and completions then find no task.
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV[1] '1' to delete even while tasks are leased
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns the number of tasks deleted, or LEASED <count> when refused.
--- @include "includes/deadline"
--- @include "includes/keys"
--- @include "includes/reject"

refuseIfLate()
local leased = redis.call('ZCARD', K.active)
if leased > 0 and ARGV[1] ~= '1' then
  return reject('LEASED', leased)
end
local tasks = redis.call('HLEN', K.tasks)
redis.call('UNLINK', unpack(KEYS))
return tasks
