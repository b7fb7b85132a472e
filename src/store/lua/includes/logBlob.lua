-- A task's log, stored as one binary string (a field of KEYS logs), so deleting a task deletes its log in one
-- HDEL and reading a page is one HGET. src/store/logCodec.ts reads the same layout.
--   header  '>dI4'     position of the oldest line kept (double), lines kept (uint32)
--   line    '>dI4BI2'  time ms (double), attempt (uint32), flags (1: truncated), text length (uint16), then text
-- Provides LOG_HEADER_BYTES, LOG_LINE_HEADER_BYTES, logHeader(blob), packLogLine(time, attempt, flags, text),
-- packLog(first, count, lines). Needs nothing.

local LOG_HEADER_BYTES, LOG_LINE_HEADER_BYTES = 12, 15

-- The oldest position kept and the count; 1 and 0 for a task without a log.
local function logHeader(blob)
  if not blob then
    return 1, 0
  end
  local first, count = struct.unpack('>dI4', blob)
  return first, count
end

local function packLogLine(time, attempt, flags, text)
  return struct.pack('>dI4BI2', time, attempt, flags, #text) .. text
end

local function packLog(first, count, lines)
  return struct.pack('>dI4', first, count) .. lines
end
