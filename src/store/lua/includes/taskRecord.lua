-- A task's msgpack record as a reply, in one of three views: 'full', the stored record itself (its lease token is
-- read by the server only, which never passes it on), 'meta' without payload, result and token, 'brief' with only
-- the state and times (enough for a batch result and for metrics).
-- Provides taskRecord(t, view). Needs PENDING (includes/states), packTask (includes/record).
--- @include "includes/states"
--- @include "includes/record"

local function taskRecord(t, view)
  if view == 'brief' then
    local brief = { a = t.a, ct = t.ct, st = t.st, et = t.et }
    if t.s ~= PENDING then
      brief.s = t.s
    end
    if t.ut ~= t.ct then
      brief.ut = t.ut
    end
    if t.sc ~= t.ct then
      brief.sc = t.sc
    end
    -- A finished child's parent is told by the caller (src/domain/flows.ts).
    if t.pi then
      brief.pi, brief.pq = t.pi, t.pq
    end
    return cmsgpack.pack(brief)
  end
  return packTask(t, view ~= 'full')
end
