-- The task record codec: msgpack, with short field names and fields at their defaults left out, since a smaller
-- record is cheaper to pack, unpack and keep. src/store/taskCodec.ts reads the same record with the same defaults.
-- The field list below is the record's schema: test/unit/store-codec.test.ts checks that the scripts use no other
-- field and that taskCodec.ts reads these fields with these defaults.
-- Provides decodeTask(blob), packTask(t, withoutBulk). Needs PENDING (includes/states).
--
-- Fields (absent means unset, or for s, pr, a, ma, ld, ll, bi, bx, bm and bj their default, and for ut and sc the
-- create time):
--   s state, p payload, m metadata (JSON), pr priority, a attempt, ab attempts before the last operator retry,
--   ma max attempts, ct/ut/sc/st/et/xt create/update/schedule/start/end/expire time (ms),
--   w lease worker, lx lease expiry (ms), lt lease token, ll current lease length (ms), ld default lease (ms),
--   bi/bx initial/max backoff (ms), bm multiplier (x1000), bj jitter (x1000),
--   pc/pt/pm progress current/total/message, r result, e errors (JSON list), cr cancel requested, q sequence,
--   ty task type (absent when untyped), tp/tt W3C traceparent/tracestate (absent when none), uk unique key (absent
--   when none; see includes/uniqueKeys),
--   pq/pi parent queue/id (absent without a parent), rq/ri root queue/id (absent without a parent),
--   fp failure policy as a child (2 ignore or 3 remove; absent: fail the parent), nc number of children (absent: none),
--   wf failed because a child failed (a child's later success revives it), ck concurrency key (absent when none;
--   see includes/keySlots).
--- @include "includes/states"

-- A task just submitted is PENDING, and was last updated and scheduled when it was created. Those defaults are left
-- out of the stored record (packTask) and filled in here, so a script's table always has them. Leaving them out
-- keeps a pending task with a small payload in a smaller allocation class of Redis's allocator.
local function decodeTask(blob)
  local t = cmsgpack.unpack(blob)
  t.s, t.ut, t.sc = t.s or PENDING, t.ut or t.ct, t.sc or t.ct
  return t
end

-- Packs the record without its defaults (see decodeTask). `withoutBulk`: also without payload, result and lease
-- token (a snapshot of the task). Fields are restored before returning, so the table is not copied; they are set
-- one by one rather than looped over, since Lua-level table work costs as much as the packing itself here.
local function packTask(t, withoutBulk)
  local state, updated, scheduled = t.s, t.ut, t.sc
  if state == PENDING then
    t.s = nil
  end
  if updated == t.ct then
    t.ut = nil
  end
  if scheduled == t.ct then
    t.sc = nil
  end
  local blob
  if withoutBulk then
    local payload, result, token = t.p, t.r, t.lt
    t.p, t.r, t.lt = nil, nil, nil
    blob = cmsgpack.pack(t)
    t.p, t.r, t.lt = payload, result, token
  else
    blob = cmsgpack.pack(t)
  end
  t.s, t.ut, t.sc = state, updated, scheduled
  return blob
end
