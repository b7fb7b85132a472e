-- Per-key concurrency: at most `kl` (queue setting) tasks of one concurrency key (the record's ck) ACTIVE at once.
-- A keyed task holds one of its key's slots while it is claimable in `pending` or ACTIVE (keyHeld counts them), so
-- `pending` never holds a task its key has no room for and a claim never walks over blocked tasks. A keyed task
-- that finds its key full waits in keyWaiting (and is listed in `index` like other non-claimable tasks); when a
-- slot frees, it passes to the key's best waiting task, which enters `pending` with a new sequence, behind the
-- tasks already claimable, which serves the keys in turn (round-robin) while priorities hold within a key. The
-- record does not change on the way in or out of keyWaiting: its member is made from the record's key, priority
-- and sequence, so a PENDING keyed task is waiting exactly when that member is there.
-- A task requeued from ACTIVE keeps its slot; every other way out of `pending` or ACTIVE gives it back.
-- Provides takeKeySlot(id, t), leaveKeySlot(id, t, old, state, now), keyLetsClaim(id, t, now),
-- releaseThrottledKeys(now), letWaitingKeysIn(now), dropHeldSlot(key), waitingTaskId(member). Needs K (includes/keys), queueSetting (includes/queueSetting), the
-- states (includes/states), PRIORITY_MAX and PRIORITY_BAND (includes/priorityBand), wakeClaimers
-- (includes/wakeClaimers), the key rate limit (includes/rateLimits).
-- With a rate limit per key, a key lets in no more waiting tasks than its rate has tokens for; a key whose claim
-- found no token waits in keyThrottled until one returns (claim.lua lets it in then: releaseThrottledKeys).
--- @include "includes/keys"
--- @include "includes/queueSetting"
--- @include "includes/states"
--- @include "includes/priorityBand"
--- @include "includes/wakeClaimers"
--- @include "includes/rateLimits"

-- Without a limit, waiting tasks (from a limit since removed) are let in this many at a time per slot freed.
local UNLIMITED_FILL = 1000
local keySlotsWoke = false

local function keyLimit()
  return queueSetting('kl', 0)
end

local function heldSlots(key)
  return tonumber(redis.call('HGET', K.keyHeld, key)) or 0
end

local function setHeldSlots(key, held)
  if held > 0 then
    redis.call('HSET', K.keyHeld, key, held)
  else
    redis.call('HDEL', K.keyHeld, key)
  end
end

-- The member of keyWaiting: the key, then the pending score at a fixed width (so lex order is score order), then id.
local function waitingMember(id, t)
  return t.ck .. '\0' .. string.format('%016.0f', (PRIORITY_MAX - (t.pr or 0)) * PRIORITY_BAND + t.q) .. '\0' .. id
end

local function waitingTaskId(member)
  return string.sub(member, string.find(member, '\0', 1, true) + 18)
end

local function waitingRange(key)
  return '[' .. key .. '\0', '(' .. key .. '\1'
end

-- A keyed task becoming PENDING (but not requeued from ACTIVE): true when it took a free slot (the caller puts it
-- in `pending`), false when it waits for one (the caller keeps it in `index`).
local function takeKeySlot(id, t)
  local limit = keyLimit()
  local held = heldSlots(t.ck)
  if (limit > 0 and held >= limit) or (queueSetting('kc', 0) > 0 and redis.call('ZSCORE', K.keyThrottled, t.ck)) then
    redis.call('ZADD', K.keyWaiting, 0, waitingMember(id, t))
    return false
  end
  redis.call('HSET', K.keyHeld, t.ck, held + 1)
  return true
end

local function dropHeldSlot(key)
  setHeldSlots(key, heldSlots(key) - 1)
end

local function throttleKey(key, now)
  redis.call('ZADD', K.keyThrottled, keyTokenAt(key, now), key)
end

-- Moves up to `free` of the key's best waiting tasks into `pending` (no more than its rate has tokens for), each
-- behind every task claimable now; returns how many. The caller counts their slots.
local function letWaitingIn(key, free, now)
  if free <= 0 then
    return 0
  end
  local low, high = waitingRange(key)
  local tokens = keyClaimAllowance(key, now)
  if tokens and tokens < free then
    free = tokens
    if free == 0 then
      if redis.call('ZRANGEBYLEX', K.keyWaiting, low, high, 'LIMIT', 0, 1)[1] then
        throttleKey(key, now)
      end
      return 0
    end
  end
  local members = redis.call('ZRANGEBYLEX', K.keyWaiting, low, high, 'LIMIT', 0, free)
  if #members == 0 then
    return 0
  end
  -- New sequences, drawn at once, put them behind everything claimable (in its priority band).
  local sequence = redis.call('HINCRBY', K.meta, 'seq', #members) - #members
  for i, member in ipairs(members) do
    local id = waitingTaskId(member)
    local band = math.floor(tonumber(string.sub(member, #key + 2, #key + 17)) / PRIORITY_BAND)
    redis.call('ZREM', K.keyWaiting, member)
    redis.call('ZREM', K.index, id)
    redis.call('ZADD', K.pending, band * PRIORITY_BAND + sequence + i, id)
  end
  if not keySlotsWoke then
    keySlotsWoke = true
    wakeClaimers()
  end
  return #members
end

-- Lets the key's best waiting tasks in, as many as it has free slots.
local function fillKeySlots(key, now)
  local limit = keyLimit()
  local held = heldSlots(key)
  local moved = letWaitingIn(key, limit > 0 and limit - held or UNLIMITED_FILL, now)
  if moved > 0 then
    setHeldSlots(key, held + moved)
  end
end

-- A slot given back: it passes straight to the key's best waiting task when the key may let one in (the held count
-- is then unchanged). A key that holds no slot leaves keyActive (its count is 0 then); one that still does keeps
-- its entry, at 0 between tasks, which getQueue leaves out.
local function releaseKeySlot(key, now)
  local limit = keyLimit()
  local held = heldSlots(key) - 1
  local moved = letWaitingIn(key, limit > 0 and limit - held or UNLIMITED_FILL, now)
  if moved ~= 1 then
    setHeldSlots(key, held + moved)
  end
  if held + moved <= 0 then
    redis.call('ZREM', K.keyActive, key)
  end
end

-- A keyed task leaving `old` (PENDING, or ACTIVE) for `state`: gives back its slot or its waiting place. The
-- caller has taken it out of `pending` or `active` already.
local function leaveKeySlot(id, t, old, state, now)
  if old == ACTIVE then
    redis.call('ZINCRBY', K.keyActive, -1, t.ck)
  end
  if state == ACTIVE then
    redis.call('ZINCRBY', K.keyActive, 1, t.ck)
  elseif old == PENDING and redis.call('ZREM', K.keyWaiting, waitingMember(id, t)) == 1 then
    return
  elseif not (old == ACTIVE and state == PENDING) then
    releaseKeySlot(t.ck, now)
  end
end

-- After a limit changed: forgets which keys wait for a token, and fills the slots of every key with waiting tasks,
-- one key at a time in lex order.
local function letWaitingKeysIn(now)
  redis.call('DEL', K.keyThrottled)
  local first = redis.call('ZRANGE', K.keyWaiting, 0, 0)
  while #first > 0 do
    local key = string.sub(first[1], 1, string.find(first[1], '\0', 1, true) - 1)
    fillKeySlots(key, now)
    first = redis.call('ZRANGEBYLEX', K.keyWaiting, '[' .. key .. '\1', '+', 'LIMIT', 0, 1)
  end
end

-- A claimable task a claim popped but whose key has no room (its limit was lowered) or no token: it gives back its
-- slot and waits again.
local function sendBackToWait(id, t)
  dropHeldSlot(t.ck)
  redis.call('ZADD', K.keyWaiting, 0, waitingMember(id, t))
  redis.call('ZADD', K.index, t.q, id)
end

-- Lets waiting tasks of the keys whose tokens have returned in (claim.lua, before it claims).
local function releaseThrottledKeys(now)
  for _, key in ipairs(redis.call('ZRANGEBYSCORE', K.keyThrottled, '-inf', now, 'LIMIT', 0, 100)) do
    redis.call('ZREM', K.keyThrottled, key)
    fillKeySlots(key, now)
  end
end

-- Whether a claim may lease this keyed task now; if not, the task waits again: its key holds more slots than a
-- lowered limit allows, or it has no token (then the key waits for one too).
local function keyLetsClaim(id, t, now)
  local limit = keyLimit()
  if limit > 0 and heldSlots(t.ck) > limit then
    sendBackToWait(id, t)
    return false
  end
  if not takeKeyToken(t.ck, now) then
    sendBackToWait(id, t)
    throttleKey(t.ck, now)
    redis.call('HINCRBY', K.meta, 'kn', 1)
    return false
  end
  return true
end
