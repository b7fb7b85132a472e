-- A lease that ran out: the attempt failed with LEASE_EXPIRED; the task is requeued, exhausted or, when a cancel
-- was requested, cancelled. The caller saves the task.
-- Provides expireLease(id, t, now): returns the new state. Needs the states (includes/states), appendError
-- (includes/appendError), countWorkerFailure (includes/countWorkerFailure), attemptsLeft (includes/attemptsLeft),
-- moveTo (includes/moveTo), emit (includes/emit), expiries (includes/expiryTally).
--- @include "includes/states"
--- @include "includes/appendError"
--- @include "includes/countWorkerFailure"
--- @include "includes/attemptsLeft"
--- @include "includes/moveTo"
--- @include "includes/emit"
--- @include "includes/expiryTally"

local function expireLease(id, t, now)
  appendError(t, 'LEASE_EXPIRED', 'lease of worker ' .. (t.w or '?') .. ' expired without a heartbeat', '', now)
  countWorkerFailure(t)
  local state, kind = PENDING, 'lease_expired'
  if t.cr then
    state, kind = CANCELLED, 'cancelled'
  elseif attemptsLeft(t) <= 0 then
    state, kind = EXHAUSTED, 'exhausted'
  end
  local worker = t.w
  moveTo(id, t, state, now)
  emit(kind, id, t, worker)
  expiries.leases = expiries.leases + 1
  if state == EXHAUSTED then
    expiries.exhausted = expiries.exhausted + 1
  elseif state == CANCELLED then
    expiries.cancelled = expiries.cancelled + 1
  end
  return state
end
