-- Leases a task to a worker: a new attempt under a new token. The caller saves the task.
-- Provides grantLease(id, t, workerId, leaseMs, token, now, batch); leaseMs 0 means the task's default. Needs ACTIVE
-- (includes/states), leaseLengthOf (includes/leaseLength), moveTo (includes/moveTo).
--- @include "includes/states"
--- @include "includes/leaseLength"
--- @include "includes/moveTo"

local function grantLease(id, t, workerId, leaseMs, token, now, batch)
  t.a = (t.a or 0) + 1
  t.w, t.lt, t.st = workerId, token, now
  t.ll = leaseMs > 0 and leaseMs or nil
  t.lx = now + leaseLengthOf(t)
  moveTo(id, t, ACTIVE, now, batch)
end
