-- Stores a task's record, at once or, given a batch (includes/batch), with the batch's other records.
-- Provides saveTask(id, t, batch): returns the record's encoding, which is also the 'full' task reply. Needs K
-- (includes/keys), packTask (includes/record).
--- @include "includes/keys"
--- @include "includes/record"

local function saveTask(id, t, batch)
  local blob = packTask(t)
  if batch then
    batch.records[#batch.records + 1] = id
    batch.records[#batch.records + 1] = blob
  else
    redis.call('HSET', K.tasks, id, blob)
  end
  return blob
end
