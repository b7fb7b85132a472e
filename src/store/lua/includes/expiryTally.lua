-- Expiries a script run performed besides its own purpose (a lease found run out, a deadline passed), so that the
-- caller can count them: scripts that can cause any return the tally.
-- Provides expiries (counters to add to), expiryTally(): { leases, of which exhausted, of which cancelled,
-- deadlines }. Needs nothing.

local expiries = { leases = 0, exhausted = 0, cancelled = 0, deadlines = 0 }

local function expiryTally()
  return { expiries.leases, expiries.exhausted, expiries.cancelled, expiries.deadlines }
end
