-- A task's event, appended to the queue's stream in the same script as the change it reports, so no change goes
-- unreported and none is reported that did not happen. The snapshot is one msgpack field (the record's own encoding
-- without payload, result and token, and with only the last error), cheaper to write and to read than a field per
-- task field.
-- Provides emit(kind, id, t, worker); `worker`: who caused it, where relevant. Needs K (includes/keys), packTask
-- (includes/record), trimEventsOnce (includes/trimEvents), announceEventsOnce (includes/announceEvents).
--- @include "includes/keys"
--- @include "includes/record"
--- @include "includes/trimEvents"
--- @include "includes/announceEvents"

local function emit(kind, id, t, worker)
  local history = t.e
  if history then
    local errors = cjson.decode(history)
    t.e = cjson.encode({ errors[#errors] })
  end
  local snapshot = packTask(t, true)
  t.e = history
  -- Before appending: the stream may pass its retention by one run's events until the next run trims it.
  trimEventsOnce()
  announceEventsOnce()
  if worker then
    redis.call('XADD', K.events, '*', 'ev', kind, 'id', id, 'ew', worker, 't', snapshot)
  else
    redis.call('XADD', K.events, '*', 'ev', kind, 'id', id, 't', snapshot)
  end
end
