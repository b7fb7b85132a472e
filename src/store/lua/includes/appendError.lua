-- A task's error history (record field e, a JSON list), bounded so a task retried forever keeps a bounded record.
-- Provides appendError(t, errType, message, details, now). Needs nothing.

local MAX_ERRORS_KEPT = 100

local function appendError(t, errType, message, details, now)
  local errors = {}
  if t.e then
    errors = cjson.decode(t.e)
  end
  errors[#errors + 1] = { ty = errType, me = message, de = details, a = t.a or 0, t = now }
  while #errors > MAX_ERRORS_KEPT do
    table.remove(errors, 1)
  end
  t.e = cjson.encode(errors)
end
