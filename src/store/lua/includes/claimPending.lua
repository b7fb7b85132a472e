-- Leases up to `max` pending tasks to a worker, highest priority first, oldest first within it; a task found past
-- its deadline expires instead, and a keyed task its key has no room or token for waits again. The i-th leased task gets the i-th token of `tokens`
-- (independent random tokens of LEASE_TOKEN_LENGTH characters each, concatenated: see redisCalls.ts).
-- Provides claimPending(workerId, max, leaseMs, tokens, now): returns a flat list { token, task id, record with
-- payload, ... } (three values per leased task), the leased tasks by id, when the earliest of them falls due
-- (see includes/dueTime), and when the queue's rate limit lets the next claim in, if it held pending tasks back
-- (else nil). Needs K (includes/keys), the states
-- (includes/states), newBatch and flushBatch (includes/batch), loadTasks (includes/loadTasks), moveTo
-- (includes/moveTo), saveTask (includes/saveTask), emit (includes/emit), expiries (includes/expiryTally), grantLease
-- (includes/grantLease), reply3 (includes/flatReply), NOT_DUE (includes/dueTime), keyLetsClaim (includes/keySlots),
-- the queue's rate limit (includes/rateLimits). Under the queue's rate limit it leases no more than the bucket has tokens for.
--- @include "includes/keys"
--- @include "includes/states"
--- @include "includes/batch"
--- @include "includes/loadTasks"
--- @include "includes/moveTo"
--- @include "includes/saveTask"
--- @include "includes/emit"
--- @include "includes/expiryTally"
--- @include "includes/grantLease"
--- @include "includes/flatReply"
--- @include "includes/dueTime"
--- @include "includes/keySlots"
--- @include "includes/rateLimits"

local function claimPending(workerId, max, leaseMs, tokens, now)
  local claimed, records = {}, {}
  local count, due = 0, NOT_DUE
  local batch = newBatch()
  local allowed = queueClaimAllowance(now)
  local cutByRate = allowed ~= nil and allowed < max
  if cutByRate then
    max = allowed
  end
  while count < max do
    local popped = redis.call('ZPOPMIN', K.pending, max - count)
    if #popped == 0 then
      break
    end
    local ids = {}
    for i = 1, #popped, 2 do
      ids[#ids + 1] = popped[i]
    end
    local tasks = loadTasks(ids)
    for _, id in ipairs(ids) do
      local t = tasks[id]
      local deadline = t.xt
      if deadline and deadline <= now then
        moveTo(id, t, EXPIRED, now)
        saveTask(id, t)
        emit('expired', id, t, nil)
        expiries.deadlines = expiries.deadlines + 1
      elseif not t.ck or keyLetsClaim(id, t, now) then
        count = count + 1
        local token = string.sub(tokens, count * 23 - 22, count * 23)
        grantLease(id, t, workerId, leaseMs, token, now, batch)
        reply3(claimed, token, id, saveTask(id, t, batch))
        records[id] = t
        -- Inline rather than earlier(): this runs once per leased task.
        local at = t.lx
        if deadline and deadline < at then
          at = deadline
        end
        if due == NOT_DUE or at < due then
          due = at
        end
        emit('claimed', id, t, workerId)
      end
    end
  end
  flushBatch(batch)
  local rateDue = nil
  if allowed ~= nil then
    local cut = cutByRate and count == max and redis.call('ZCARD', K.pending) > 0
    spendQueueClaims(count, now, cut)
    if cut then
      rateDue = queueTokenAt(now)
    end
  end
  return claimed, records, due, rateDue
end
