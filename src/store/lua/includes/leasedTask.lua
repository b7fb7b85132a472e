-- The caller's task under its valid lease, for the scripts a lease holder calls on one task.
-- Provides leasedTask(id, token, now): the task, or nil and the error reply to return. Needs loadTask
-- (includes/loadTask), reject (includes/reject), checkLease (includes/checkLease).
--- @include "includes/loadTask"
--- @include "includes/reject"
--- @include "includes/checkLease"

local function leasedTask(id, token, now)
  local t = loadTask(id)
  if not t then
    return nil, reject('NOT_FOUND')
  end
  local leaseError = checkLease(id, t, token, now)
  if leaseError then
    return nil, leaseError
  end
  return t, nil
end
