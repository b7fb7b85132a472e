-- The Redis server's clock in ms: every replica of the service agrees on it, whatever their own clocks say.
-- Provides nowMs(). Needs nothing. A script is one instant: the clock is read once per run, however many of its
-- steps (the deadline check, leases, events) ask for the time.

local nowMsOfThisRun

local function nowMs()
  if nowMsOfThisRun == nil then
    local t = redis.call('TIME')
    nowMsOfThisRun = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return nowMsOfThisRun
end
