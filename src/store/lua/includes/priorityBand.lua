-- The pending set's score layout: (PRIORITY_MAX - priority) * PRIORITY_BAND + creation sequence, so ZPOPMIN takes the
-- highest priority first and the oldest task first within it, and the bands 0..PRIORITY_MAX - PRIORITY_MIN can be
-- read one by one. The priority range is the API's (src/domain/limits.ts; test/unit/store-codec.test.ts checks that
-- they agree).
-- Provides PRIORITY_MIN, PRIORITY_MAX, PRIORITY_BAND. Needs nothing.

local PRIORITY_MIN, PRIORITY_MAX = -9, 9
local PRIORITY_BAND = 140737488355328 -- 2^47; the highest band's scores, 18 * 2^47 + seq, stay exact below 2^53
