-- Leases one named task to the caller now, creating it when it does not exist ("I am running X").
-- Scheduled or pending: leased to the caller. Active under the caller's token: the lease is extended
-- (re-entrant). Active under another lease: LOCKED. Terminal: NOT_RESTARTABLE unless forced, which starts a new
-- attempt with a fresh attempt budget. A lease that ran out is expired first (see expireLease), then as above.
-- KEYS: the queue keyset (includes/keys.lua).
-- ARGV[1] worker id
-- ARGV[2] lease length ms (0: the task's default)
-- ARGV[3] the caller's current lease token ('' when it has none)
-- ARGV[4] '1' to force a restart of a terminal task
-- ARGV[5] the token for a new lease (a random nonce from the caller)
-- ARGV[6] registration: '1' just registered, '0' registered earlier (see includes/registration)
-- ARGV[7..] TASK_FIELDS fields of the task, used when it does not exist (see newTask); ARGV[7] is the task id
-- ARGV[last] deadline, Redis time ms: past it the script changes nothing (see includes/deadline)
-- Returns { expiry tally (see expiryTally), created (0/1), lease token, task reply with payload, when the task falls
-- due (see dueTime) }, or when refused
-- { expiry tally, 'LOCKED <worker> <lease expiry ms>' | 'NOT_RESTARTABLE <state>' | 'QUOTA <field> <limit>' }. A refusal is a reply, not an
-- error, so that it carries the tally too: a lease found run out is expired even when the start is then refused.
-- UNREGISTERED (an error, nothing changed) when the queue must be registered again first.
--- @include "includes/deadline"
--- @include "includes/dueTime"
--- @include "includes/emit"
--- @include "includes/expireLease"
--- @include "includes/expiryTally"
--- @include "includes/formatInt"
--- @include "includes/grantLease"
--- @include "includes/keys"
--- @include "includes/leaseLength"
--- @include "includes/loadTask"
--- @include "includes/newTask"
--- @include "includes/nowMs"
--- @include "includes/queueSetting"
--- @include "includes/registration"
--- @include "includes/reject"
--- @include "includes/reopen"
--- @include "includes/saveTask"
--- @include "includes/states"
--- @include "includes/storedBytes"
--- @include "includes/taskReply"
--- @include "includes/touchWorker"

refuseIfLate()
local function refuse(...)
  return { expiryTally(), table.concat({ ... }, ' ') }
end

local workerId, leaseMs, callerToken, force, newToken = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4] == '1', ARGV[5]
if not registered(ARGV[6]) then
  return reject('UNREGISTERED')
end
local now = nowMs()
local id = ARGV[7]
touchWorker(workerId, now)
local t = loadTask(id)
local created = 0
if not t then
  local size = #ARGV[8]
  local refusal = quotaRefusal(nil, queueSetting('pb', 0) + size)
  if refusal then
    return refuse(refusal)
  end
  created = 1
  countStoredBytes(size)
  id, t = newTask(7, now)
  grantLease(id, t, workerId, leaseMs, newToken, now)
  saveTask(id, t)
  emit('submitted', id, t, nil)
  emit('claimed', id, t, workerId)
  return { expiryTally(), created, newToken, taskReply(id, t, 'full'), dueBy(NOT_DUE, t) }
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
  return { expiryTally(), created, t.lt, taskReply(id, t, 'full'), dueBy(NOT_DUE, t) }
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
return { expiryTally(), created, newToken, taskReply(id, t, 'full'), dueBy(NOT_DUE, t) }
