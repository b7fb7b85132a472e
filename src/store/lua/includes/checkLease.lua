-- The check of a caller's lease. A lease found expired is handled here, so no caller ever acts on a dead lease.
-- Provides checkLease(id, t, token, now): nil when the lease is valid, else an error reply. Needs the states
-- (includes/states), reject (includes/reject), expireLease (includes/expireLease), saveTask (includes/saveTask).
--- @include "includes/states"
--- @include "includes/reject"
--- @include "includes/expireLease"
--- @include "includes/saveTask"

local function checkLease(id, t, token, now)
  if t.s ~= ACTIVE or t.lt ~= token then
    return reject('TOKEN_MISMATCH', STATE_NAMES[t.s])
  end
  if t.lx <= now then
    expireLease(id, t, now)
    saveTask(id, t)
    return reject('LEASE_EXPIRED', STATE_NAMES[t.s])
  end
  return nil
end
