-- Replies of a batch (claim, submit, complete) are flat, a few values per task in one list: Redis checks every table
-- of a reply for special shapes (err, ok, map, ...), so a table per task would cost a check each.
-- Provides reply3(list, a, b, c): appends three values. Needs nothing.

local function reply3(list, a, b, c)
  local n = #list
  list[n + 1], list[n + 2], list[n + 3] = a, b, c
end
