-- The payload bytes a queue stores (meta `pb`), for its quota max_stored_payload_bytes (meta `qb`): added when a
-- task is created, taken off when it is deleted (retention, purge). Tasks stored before the count existed are
-- not in it, so it never goes below zero when they go.
-- Provides countStoredBytes(by), quotaRefusal(waitingAfter, bytesAfter): the refusal ('QUOTA <field> <limit>') a
-- new task would meet, or nil. Needs K (includes/keys), queueSetting (includes/queueSetting).
--- @include "includes/keys"
--- @include "includes/queueSetting"

local function countStoredBytes(by)
  if by ~= 0 and redis.call('HINCRBY', K.meta, 'pb', by) < 0 then
    redis.call('HSET', K.meta, 'pb', 0)
  end
end

-- `waitingAfter`: scheduled and pending tasks with the new one (nil: it will not wait); `bytesAfter`: stored
-- payload bytes with it.
local function quotaRefusal(waitingAfter, bytesAfter)
  local maxWaiting, maxBytes = queueSetting('qp', 0), queueSetting('qb', 0)
  if waitingAfter and maxWaiting > 0 and waitingAfter > maxWaiting then
    return 'QUOTA max_pending_tasks ' .. maxWaiting
  end
  if maxBytes > 0 and bytesAfter > maxBytes then
    return 'QUOTA max_stored_payload_bytes ' .. maxBytes
  end
  return nil
end
