-- A state-changing script that reaches Redis after its caller stopped waiting changes nothing. Baton answers
-- UNAVAILABLE when Redis does not reply within the command timeout, but a command already written to a frozen
-- master's socket would still run when the master resumes: a submit stored, a lease granted, that nobody was told
-- of. The caller passes its deadline in Redis time (src/store/redisClock.ts) as the script's last argument.
-- Provides refuseIfLate(): takes the deadline off the end of ARGV (so the script's own arguments, and #ARGV, are as
-- if it had not been passed) and raises 'BATON LATE <ms past it>' when Redis's clock is past it. Every
-- state-changing script calls it first, before it reads or writes anything. Needs nowMs (includes/nowMs).
--- @include "includes/nowMs"

local function refuseIfLate()
  local deadline = tonumber(table.remove(ARGV))
  if deadline == nil then
    error('the last argument must be the deadline in ms (see includes/deadline)')
  end
  local late = nowMs() - deadline
  if late > 0 then
    error(redis.error_reply('BATON LATE ' .. late))
  end
end
