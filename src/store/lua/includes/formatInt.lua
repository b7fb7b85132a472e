-- Exact text of a large integer: Lua prints numbers with %.14g, which rounds large scores, so a number joined into a
-- string goes through here. (A number passed to redis.call is converted exactly by Redis itself, and more cheaply.)
-- Provides int(n). Needs nothing.

local function int(n)
  return string.format('%.0f', n)
end
