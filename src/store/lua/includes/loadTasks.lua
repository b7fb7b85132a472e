-- Reads the records of many tasks with one command per chunk (see includes/callInChunks).
-- Provides loadTasks(ids): a table id -> task, without the ids that do not exist. An id listed twice maps to one
-- table, so a change made for its first item is seen by the second. Needs K (includes/keys), decodeTask
-- (includes/record), ARGS_PER_CALL (includes/callInChunks).
--- @include "includes/keys"
--- @include "includes/record"
--- @include "includes/callInChunks"

local function loadTasks(ids)
  local tasks = {}
  for first = 1, #ids, ARGS_PER_CALL do
    local last = math.min(first + ARGS_PER_CALL - 1, #ids)
    local blobs = redis.call('HMGET', K.tasks, unpack(ids, first, last))
    for i = first, last do
      local blob = blobs[i - first + 1]
      if blob and not tasks[ids[i]] then
        tasks[ids[i]] = decodeTask(blob)
      end
    end
  end
  return tasks
end
