-- Long argument lists sent in chunks: Lua's unpack is bounded by the C stack (LUAI_MAXCSTACK, 8000 values). Chunks
-- are even, so that score/member and field/value pairs stay together.
-- Provides ARGS_PER_CALL, callInChunks(command, key, args) (returns the last chunk's reply). Needs nothing.

local ARGS_PER_CALL = 1000

local function callInChunks(command, key, args)
  local reply
  for first = 1, #args, ARGS_PER_CALL do
    reply = redis.call(command, key, unpack(args, first, math.min(first + ARGS_PER_CALL - 1, #args)))
  end
  return reply
end
