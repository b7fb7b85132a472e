-- The state machine's bookkeeping: moves a task between the state indexes and keeps the terminal-state counts exact;
-- a child that finishes is added to the outbox of parents to tell (KEYS notices).
-- The caller saves the task. With a batch (includes/batch), the index writes wait for flushBatch.
-- Provides moveTo(id, t, state, now, batch). Needs K (includes/keys), the states (includes/states), zadd, zrem and
-- countInMeta (includes/batch), sharedScore (includes/sharedScore), PRIORITY_MAX and PRIORITY_BAND
-- (includes/priorityBand), pushFinished (includes/finishedRing), takeKeySlot and leaveKeySlot (includes/keySlots).
--- @include "includes/keys"
--- @include "includes/states"
--- @include "includes/batch"
--- @include "includes/sharedScore"
--- @include "includes/priorityBand"
--- @include "includes/finishedRing"
--- @include "includes/keySlots"

local function moveTo(id, t, state, now, batch)
  local old = t.s
  if old == SCHEDULED then
    zrem(batch, K.scheduled, id)
  elseif old == PENDING then
    zrem(batch, K.pending, id)
  elseif old == ACTIVE then
    zrem(batch, K.active, id)
  elseif old == WAITING_CHILDREN then
    redis.call('ZREM', K.waiting, id)
  elseif old ~= nil and isTerminal(old) then
    redis.call('ZREM', K.done, id)
    redis.call('HINCRBY', K.meta, 'n' .. old, -1)
    redis.call('LREM', K.completed, 1, id)
  end

  local keyed = t.ck
  if keyed and (old == PENDING or old == ACTIVE) then
    leaveKeySlot(id, t, old, state, now)
  end

  if old == ACTIVE and state ~= ACTIVE then
    t.w, t.lx, t.ll = nil, nil, nil
  end
  local claimable = state == PENDING and (not keyed or old == ACTIVE or takeKeySlot(id, t))
  if claimable then
    if old ~= nil then
      zrem(batch, K.index, id)
    end
  elseif old == nil or old == PENDING then
    zadd(batch, K.index, t.q, id)
  end
  t.s, t.ut = state, now
  if state == SCHEDULED then
    zadd(batch, K.scheduled, t.sc, id)
  elseif state == PENDING then
    if claimable then
      zadd(batch, K.pending, (PRIORITY_MAX - (t.pr or 0)) * PRIORITY_BAND + t.q, id)
    end
  elseif state == ACTIVE then
    zadd(batch, K.active, sharedScore(t.lx), id)
  elseif state == WAITING_CHILDREN then
    redis.call('ZADD', K.waiting, t.q, id)
  else
    t.et = now
    zadd(batch, K.done, sharedScore(now), id)
    countInMeta(batch, 'n' .. state, 1)
    if t.xt then
      zrem(batch, K.deadlines, id)
    end
    -- The outbox: the parent lives on another slot, so it is told after this script; a cancelled parent's children
    -- live on other slots, so they are cancelled after it (src/domain/flows.ts).
    if t.pi or (state == CANCELLED and t.nc) then
      redis.call('ZADD', K.notices, now, id)
    end
    if batch then
      batch.finished[#batch.finished + 1] = id
    else
      pushFinished({ id })
    end
  end
end
