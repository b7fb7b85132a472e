-- Leases one named task to the caller now, creating it when it does not exist ("I am running X").
-- Scheduled or pending: leased to the caller. Active under the caller's token: the lease is extended
-- (re-entrant). Active under another lease: LOCKED. Terminal: NOT_RESTARTABLE unless forced, which starts a new
-- attempt with a fresh attempt budget. A lease that ran out is expired first (see expireLease), then as above.
-- KEYS: the queue keyset (includes/queue.lua).
-- ARGV[1] worker id
-- ARGV[2] lease length ms (0: the task's default)
-- ARGV[3] the caller's current lease token ('' when it has none)
-- ARGV[4] '1' to force a restart of a terminal task
-- ARGV[5] the token for a new lease (a random nonce from the caller)
-- ARGV[6..] TASK_FIELDS fields of the task, used when it does not exist (see newTask); ARGV[6] is the task id
-- Returns { expiry tally (see expiryTally), created (0/1), lease token, task reply with payload }, or when refused
-- { expiry tally, 'LOCKED <worker> <lease expiry ms>' | 'NOT_RESTARTABLE <state>' }. A refusal is a reply, not an
-- error, so that it carries the tally too: a lease found run out is expired even when the start is then refused.
--@include queue

local function refuse(...)
  return { expiryTally(), table.concat({ ... }, ' ') }
end

local workerId, leaseMs, callerToken, force, newToken = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4] == '1', ARGV[5]
local now = nowMs()
local id = ARGV[6]
touchWorker(workerId, now)
local t = loadTask(id)
local created = 0
if not t then
  created = 1
  id, t = newTask(6, now)
  grantLease(id, t, workerId, leaseMs, newToken, now)
  saveTask(id, t)
  emit('submitted', id, t, nil)
  emit('claimed', id, t, workerId)
  return { expiryTally(), created, newToken, taskReply(id, t, 'full') }
end

if t.s == ACTIVE and t.lx <= now then
  expireLease(id, t, now)
end
if t.s == ACTIVE then
  if callerToken == '' or callerToken ~= t.lt then
    saveTask(id, t)
    return refuse('LOCKED', t.w, int(t.lx))
  end
  if leaseMs > 0 then
    t.ll = leaseMs
  end
  t.lx, t.ut = now + leaseLengthOf(t), now
  redis.call('ZADD', K.active, t.lx, id)
  saveTask(id, t)
  return { expiryTally(), created, t.lt, taskReply(id, t, 'full') }
end
if isTerminal(t.s) then
  if not force then
    saveTask(id, t)
    return refuse('NOT_RESTARTABLE', STATE_NAMES[t.s])
  end
  reopen(id, t, now)
  t.r = nil
end
grantLease(id, t, workerId, leaseMs, newToken, now)
saveTask(id, t)
emit('claimed', id, t, workerId)
return { expiryTally(), created, newToken, taskReply(id, t, 'full') }
