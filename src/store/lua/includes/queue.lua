-- The queue keyset and the task record helpers shared by every script.
--
-- Every script receives the same queue keyset as KEYS, all under one hash tag ({q:<queue>:0}):
--   KEYS[1] tasks      hash   task id -> msgpack task record
--   KEYS[2] pending    zset   task id, score = priority band + creation sequence (ZPOPMIN order: highest priority,
--                             then oldest; a task requeued or retried keeps its place)
--   KEYS[3] scheduled  zset   task id, score = schedule time (ms)
--   KEYS[4] active     zset   task id, score = lease expiry (ms)
--   KEYS[5] deadlines  zset   task id, score = expire_time (ms), for unfinished tasks with a deadline
--   KEYS[6] done       zset   task id, score = end time (ms), finished tasks within retention
--   KEYS[7] index      zset   task id, score = creation sequence (ListTasks order), for every task but the pending
--                             ones: `pending` holds their creation sequence already, and most tasks of a busy queue
--                             are pending, so this saves a sorted-set entry (~120 bytes) for each of them
--   KEYS[8] meta       hash   seq (sequence counter), n<state> (exact count per terminal state; the count of a
--                             live state is the ZCARD of its index), queue settings (paused, ma max attempts,
--                             ld lease ms, rt retention ms, ring completed-ring size, er event count,
--                             ea event max age ms), lc last claim time (ms),
--                             p:<worker> / f:<worker> tasks that worker completed / failed here
--   KEYS[9] completed  list   ids of the most recently finished tasks, newest first, at most `ring` long
--   KEYS[10] workers   zset   worker id, score = when it last claimed or heartbeated in this queue (ms)
--   KEYS[11] events    stream one entry per change, appended by the script that makes it (WatchTasks reads it),
--                             about `er` entries long (queue setting, default 10,000) and, if the queue sets `ea`,
--                             none older than `ea` ms: trimmed once per script run, so it may pass that by one
--                             run's events until the next (reap trims a quiet queue's stream by age)
--
-- Task record fields (short names keep the record small; absent means unset, or for s, pr, a, ma, ld, ll, bi, bx,
-- bm and bj their default, and for ut and sc the create time):
--   s state, p payload, m metadata (JSON), pr priority, a attempt, ab attempts before the last operator retry,
--   ma max attempts, ct/ut/sc/st/et/xt create/update/schedule/start/end/expire time (ms),
--   w lease worker, lx lease expiry (ms), lt lease token, ll current lease length (ms), ld default lease (ms),
--   bi/bx initial/max backoff (ms), bm multiplier (x1000), bj jitter (x1000),
--   pc/pt/pm progress current/total/message, r result, e errors (JSON list), cr cancel requested, q sequence.

local K = {
  tasks = KEYS[1], pending = KEYS[2], scheduled = KEYS[3], active = KEYS[4],
  deadlines = KEYS[5], done = KEYS[6], index = KEYS[7], meta = KEYS[8], completed = KEYS[9], workers = KEYS[10],
  events = KEYS[11],
}

local SCHEDULED, PENDING, ACTIVE, SUCCEEDED, FAILED, EXHAUSTED, CANCELLED, EXPIRED = 1, 2, 3, 4, 5, 6, 7, 8
local STATE_NAMES = { 'SCHEDULED', 'PENDING', 'ACTIVE', 'SUCCEEDED', 'FAILED', 'EXHAUSTED', 'CANCELLED', 'EXPIRED' }
local WAKE_CHANNEL = 'baton:wake'
local MAX_ERRORS_KEPT = 100
-- Defaults when neither the task nor the queue sets one (the scripts resolve them, so a queue's own defaults apply
-- atomically with the submit).
local DEFAULT_MAX_ATTEMPTS, DEFAULT_LEASE_MS, DEFAULT_RING_SIZE, DEFAULT_EVENT_RETENTION = 5, 30000, 1000, 10000
-- Pending score = (9 - priority) * band + creation sequence: ZPOPMIN takes the highest priority first, the oldest
-- task first within it.
local PRIORITY_BAND = 140737488355328 -- 2^47; (18 * 2^47 + seq) stays exact below 2^53

-- Record fields at their defaults are left out: a smaller record is cheaper to pack, unpack and keep. These read
-- them back (src/store/taskCodec.ts applies the same defaults).
local function maxAttemptsOf(t)
  return t.ma or DEFAULT_MAX_ATTEMPTS
end

local function defaultLeaseOf(t)
  return t.ld or DEFAULT_LEASE_MS
end

-- The current lease's length: asked for by the worker, or the task's default.
local function leaseLengthOf(t)
  return t.ll or defaultLeaseOf(t)
end

-- Lua prints numbers with %.14g, which rounds large scores: numbers joined into strings are formatted exactly here.
-- (A number passed to redis.call is converted exactly by Redis itself, and more cheaply, once.)
local function int(n)
  return string.format('%.0f', n)
end

-- A score shared by many tasks of one batch (the batch's time, a lease expiry), formatted once per script run: a
-- number passed to redis.call is formatted by Redis with %.17g for each task, which cost a claim or a completion
-- about 4,000 instructions per task.
local sharedScoreTexts = {}
local function sharedScore(n)
  local text = sharedScoreTexts[n]
  if not text then
    text = int(n)
    sharedScoreTexts[n] = text
  end
  return text
end

local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function isTerminal(state)
  return state >= SUCCEEDED
end

-- A task just submitted is PENDING, and was last updated and scheduled when it was created. Those defaults are left
-- out of the stored record (packTask) and filled in here, so a script's table always has them. Without them the
-- record of a pending task with a 100-byte payload is at most 124 bytes instead of 151: Redis keeps it in a 128-byte
-- allocation instead of a 160-byte one. src/store/taskCodec.ts applies the same defaults.
local function decodeTask(blob)
  local t = cmsgpack.unpack(blob)
  t.s, t.ut, t.sc = t.s or PENDING, t.ut or t.ct, t.sc or t.ct
  return t
end

local function loadTask(id)
  local blob = redis.call('HGET', K.tasks, id)
  if not blob then
    return nil
  end
  return decodeTask(blob)
end

-- Lua's unpack is bounded by the C stack (LUAI_MAXCSTACK, 8000 values), so long argument lists go in chunks. Even,
-- so that score/member and field/value pairs stay together.
local ARGS_PER_CALL = 1000

-- Returns the last chunk's reply.
local function callInChunks(command, key, args)
  local reply
  for first = 1, #args, ARGS_PER_CALL do
    reply = redis.call(command, key, unpack(args, first, math.min(first + ARGS_PER_CALL - 1, #args)))
  end
  return reply
end

-- The records of many tasks with one command: a table id -> task, without the ids that do not exist. An id listed
-- twice maps to one table, so a change made for its first item is seen by the second.
local function loadTasks(ids)
  local tasks = {}
  for first = 1, #ids, ARGS_PER_CALL do
    local last = math.min(first + ARGS_PER_CALL - 1, #ids)
    local blobs = redis.call('HMGET', K.tasks, unpack(ids, first, last))
    for i = first, last do
      local blob = blobs[i - first + 1]
      if blob and not tasks[ids[i]] then
        tasks[ids[i]] = decodeTask(blob)
      end
    end
  end
  return tasks
end

-- Packs the record without its defaults (see loadTask). `withoutBulk`: also without payload, result and lease
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

-- The writes of a batch of tasks, gathered per key and sent as one command each by flushBatch. A redis.call costs
-- about 2 µs of Lua overhead besides its own work, so a claim or completion of 100 tasks saves some 600 of them.
-- A task moves at most once per batch, and nothing reads the keys written until the flush.
local function newBatch()
  return { records = {}, zadds = { keys = {} }, zrems = { keys = {} }, counts = {}, finished = {} }
end

-- The arguments gathered for one key of `lists` (batch.zadds or batch.zrems), which remember their keys in order.
local function batchList(lists, key)
  local list = lists[key]
  if not list then
    list = {}
    lists[key] = list
    lists.keys[#lists.keys + 1] = key
  end
  return list
end

local function zadd(batch, key, score, id)
  if not batch then
    redis.call('ZADD', key, score, id)
    return
  end
  local list = batchList(batch.zadds, key)
  list[#list + 1] = score
  list[#list + 1] = id
end

local function zrem(batch, key, id)
  if not batch then
    redis.call('ZREM', key, id)
    return
  end
  local list = batchList(batch.zrems, key)
  list[#list + 1] = id
end

local function countInMeta(batch, field, by)
  if batch then
    batch.counts[field] = (batch.counts[field] or 0) + by
  else
    redis.call('HINCRBY', K.meta, field, by)
  end
end

-- Stores the record; returns its encoding, which is also the 'full' task reply.
local function saveTask(id, t, batch)
  local blob = packTask(t)
  if batch then
    batch.records[#batch.records + 1] = id
    batch.records[#batch.records + 1] = blob
  else
    redis.call('HSET', K.tasks, id, blob)
  end
  return blob
end

-- A queue setting from meta, read once per script run.
local settingsCache = {}
local function queueSetting(field, fallback)
  if settingsCache[field] == nil then
    settingsCache[field] = tonumber(redis.call('HGET', K.meta, field)) or false
  end
  return settingsCache[field] or fallback
end

local function nextSequence()
  return redis.call('HINCRBY', K.meta, 'seq', 1)
end

-- Errors are codes with arguments ('BATON <CODE> <arg>...'); the store turns them into messages for people.
local function reject(code, ...)
  return redis.error_reply(table.concat({ 'BATON', code, ... }, ' '))
end

-- The newest `ringSize` finished tasks, newest first.
local function pushFinished(ids)
  local ringSize = queueSetting('ring', DEFAULT_RING_SIZE)
  if callInChunks('LPUSH', K.completed, ids) > ringSize then
    redis.call('LTRIM', K.completed, 0, ringSize - 1)
  end
end

-- Moves a task between state indexes and keeps the terminal-state counts exact. The caller saves the task. With a
-- batch (newBatch), the index writes wait for flushBatch.
local function moveTo(id, t, state, now, batch)
  local old = t.s
  if old == SCHEDULED then
    zrem(batch, K.scheduled, id)
  elseif old == PENDING then
    zrem(batch, K.pending, id)
  elseif old == ACTIVE then
    zrem(batch, K.active, id)
  elseif old ~= nil and isTerminal(old) then
    redis.call('ZREM', K.done, id)
    redis.call('HINCRBY', K.meta, 'n' .. old, -1)
    redis.call('LREM', K.completed, 1, id)
  end

  if old == ACTIVE and state ~= ACTIVE then
    t.w, t.lx, t.ll = nil, nil, nil
  end
  if state == PENDING then
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
    zadd(batch, K.pending, (9 - (t.pr or 0)) * PRIORITY_BAND + t.q, id)
  elseif state == ACTIVE then
    zadd(batch, K.active, sharedScore(t.lx), id)
  else
    t.et = now
    zadd(batch, K.done, sharedScore(now), id)
    countInMeta(batch, 'n' .. state, 1)
    if t.xt then
      zrem(batch, K.deadlines, id)
    end
    if batch then
      batch.finished[#batch.finished + 1] = id
    else
      pushFinished({ id })
    end
  end
end

-- Sends a batch's writes: records, then index removals and additions, counts, and the finished ring.
local function flushBatch(batch)
  if #batch.records > 0 then
    callInChunks('HSET', K.tasks, batch.records)
  end
  for _, key in ipairs(batch.zrems.keys) do
    callInChunks('ZREM', key, batch.zrems[key])
  end
  for _, key in ipairs(batch.zadds.keys) do
    callInChunks('ZADD', key, batch.zadds[key])
  end
  for field, by in pairs(batch.counts) do
    redis.call('HINCRBY', K.meta, field, by)
  end
  if #batch.finished > 0 then
    pushFinished(batch.finished)
  end
end

-- Trims the stream to the queue's event retention, once per script run: about `er` events and, when the queue
-- sets `ea`, none older than that many ms. Both trim in whole blocks (XTRIM ~), which is cheap; a few more may stay.
local eventsTrimmed = false
local function trimEventsOnce()
  if eventsTrimmed then
    return
  end
  eventsTrimmed = true
  redis.call('XTRIM', K.events, 'MAXLEN', '~', queueSetting('er', DEFAULT_EVENT_RETENTION))
  local maxAge = queueSetting('ea', 0)
  if maxAge > 0 then
    redis.call('XTRIM', K.events, 'MINID', '~', nowMs() - maxAge)
  end
end

-- Appends an event to the queue's stream, in the same script as the change it reports, so no change goes
-- unreported and none is reported that did not happen. `worker`: who caused it, where relevant. The snapshot is
-- one msgpack field (the record's own encoding without payload, result and token, and with only the last error),
-- far cheaper to write and to read than a field per task field.
local function emit(kind, id, t, worker)
  local history = t.e
  if history then
    local errors = cjson.decode(history)
    t.e = cjson.encode({ errors[#errors] })
  end
  local snapshot = packTask(t, true)
  t.e = history
  -- Before appending: the stream may pass its retention by one run's events until the next run trims it.
  trimEventsOnce()
  if worker then
    redis.call('XADD', K.events, '*', 'ev', kind, 'id', id, 'ew', worker, 't', snapshot)
  else
    redis.call('XADD', K.events, '*', 'ev', kind, 'id', id, 't', snapshot)
  end
end

-- A queue-level event (an operator's control), with its details as field/value pairs.
local function emitQueueEvent(kind, ...)
  trimEventsOnce()
  redis.call('XADD', K.events, '*', 'ev', kind, ...)
end

-- Expiries this script run performed besides its own purpose (a lease found run out, a deadline passed), so the
-- caller can count them: scripts that can do so return this tally.
local expiries = { leases = 0, exhausted = 0, cancelled = 0, deadlines = 0 }

local function expiryTally()
  return { expiries.leases, expiries.exhausted, expiries.cancelled, expiries.deadlines }
end

-- The worker holding a task's lease failed it (or let the lease run out): counted against that worker here.
local function countWorkerFailure(t)
  if t.w then
    redis.call('HINCRBY', K.meta, 'f:' .. t.w, 1)
  end
end

local function appendError(t, errType, message, details, now)
  local errors = {}
  if t.e then
    errors = cjson.decode(t.e)
  end
  errors[#errors + 1] = { ty = errType, me = message, de = details, a = t.a or 0, t = now }
  while #errors > MAX_ERRORS_KEPT do
    table.remove(errors, 1)
  end
  t.e = cjson.encode(errors)
end

local function attemptsLeft(t)
  return maxAttemptsOf(t) - ((t.a or 0) - (t.ab or 0))
end

-- A lease ran out: the attempt failed with LEASE_EXPIRED; the task is requeued, exhausted or, when a cancel was
-- requested, cancelled. Returns the new state.
local function expireLease(id, t, now)
  appendError(t, 'LEASE_EXPIRED', 'lease of worker ' .. (t.w or '?') .. ' expired without a heartbeat', '', now)
  countWorkerFailure(t)
  local state, kind = PENDING, 'lease_expired'
  if t.cr then
    state, kind = CANCELLED, 'cancelled'
  elseif attemptsLeft(t) <= 0 then
    state, kind = EXHAUSTED, 'exhausted'
  end
  local worker = t.w
  moveTo(id, t, state, now)
  emit(kind, id, t, worker)
  expiries.leases = expiries.leases + 1
  if state == EXHAUSTED then
    expiries.exhausted = expiries.exhausted + 1
  elseif state == CANCELLED then
    expiries.cancelled = expiries.cancelled + 1
  end
  return state
end

-- Checks the caller's lease. A lease found expired is handled here, so no caller ever acts on a dead lease.
-- Returns nil when the lease is valid, or an error reply.
local function checkLease(id, t, token, now)
  if t.s ~= ACTIVE or t.lt ~= token then
    return reject('TOKEN_MISMATCH', STATE_NAMES[t.s])
  end
  if t.lx <= now then
    expireLease(id, t, now)
    saveTask(id, t)
    return reject('LEASE_EXPIRED', STATE_NAMES[t.s])
  end
  return nil
end

-- Opens a finished task for a new round of attempts: the attempt budget is renewed, history kept, and a deadline
-- already passed is dropped (or the task would expire at once). The caller moves it into its next state.
local function reopen(id, t, now)
  t.ab, t.cr, t.et = t.a, nil, nil
  if t.xt then
    if t.xt <= now then
      t.xt = nil
    else
      redis.call('ZADD', K.deadlines, t.xt, id)
    end
  end
end

-- Releases up to `limit` leases that ran out (see expireLease). Returns how many tasks became PENDING again.
local function releaseExpiredLeases(now, limit)
  local requeued = 0
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', K.active, '-inf', now, 'LIMIT', 0, limit)) do
    local t = loadTask(id)
    if expireLease(id, t, now) == PENDING then
      requeued = requeued + 1
    end
    saveTask(id, t)
  end
  return requeued
end

-- Makes up to `limit` scheduled tasks whose time has come PENDING. Returns how many.
local function promoteDue(now, limit)
  local due = redis.call('ZRANGEBYSCORE', K.scheduled, '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(due) do
    local t = loadTask(id)
    moveTo(id, t, PENDING, now)
    saveTask(id, t)
  end
  return #due
end

-- The caller's task under its valid lease, or nil and the error reply to return.
local function leasedTask(id, token, now)
  local t = loadTask(id)
  if not t then
    return nil, reject('NOT_FOUND')
  end
  local leaseError = checkLease(id, t, token, now)
  if leaseError then
    return nil, leaseError
  end
  return t, nil
end

local function grantLease(id, t, workerId, leaseMs, token, now, batch)
  t.a = (t.a or 0) + 1
  t.w, t.lt, t.st = workerId, token, now
  t.ll = leaseMs > 0 and leaseMs or nil
  t.lx = now + leaseLengthOf(t)
  moveTo(id, t, ACTIVE, now, batch)
end

-- A task's msgpack record as a reply. `view`: 'full', the stored record itself (its lease token is read by the
-- server only, which never passes it on), 'meta' without payload, result and token, 'brief' with only the state
-- and times (enough for a batch result and for metrics).
local function taskRecord(t, view)
  if view == 'brief' then
    local brief = { a = t.a, ct = t.ct, st = t.st, et = t.et }
    if t.s ~= PENDING then
      brief.s = t.s
    end
    if t.ut ~= t.ct then
      brief.ut = t.ut
    end
    if t.sc ~= t.ct then
      brief.sc = t.sc
    end
    return cmsgpack.pack(brief)
  end
  return packTask(t, view ~= 'full')
end

-- A task reply: { id, msgpack record } (see taskRecord). Replies of a batch (claim, submit, complete) are flat
-- instead, a few values per task in one list: Redis checks every table of a reply for seven special shapes (err,
-- ok, map, ...), which cost a claim about 12% of its instructions when each task had two tables of its own.
local function taskReply(id, t, view)
  return { id, taskRecord(t, view) }
end

-- Appends values to a flat reply list.
local function reply3(list, a, b, c)
  local n = #list
  list[n + 1], list[n + 2], list[n + 3] = a, b, c
end

-- The fields of one new task in ARGV, starting at `base` (the order encodeNewTask in src/store/taskCodec.ts writes):
--   id, payload, metadata JSON, priority, delay ms (-1: none), schedule time ms (0: none), max attempts (0: the
--   queue's default), default lease ms (0: the queue's default), expire time ms (0: none), then the retry policy:
--   initial backoff ms, max backoff ms, multiplier x1000, jitter x1000, each empty when at its default.
local TASK_FIELDS = 13
local RETRY_FIELDS = { 'bi', 'bx', 'bm', 'bj' }

-- Builds a new task; the caller moves it into its first state (which indexes it) and saves it. `sequence`: its
-- creation sequence when the caller drew it already (one HINCRBY for a whole submit), else drawn here.
local function newTask(base, now, sequence)
  local id = ARGV[base]
  local priority, maxAttempts, leaseMs = tonumber(ARGV[base + 3]), tonumber(ARGV[base + 6]), tonumber(ARGV[base + 7])
  if maxAttempts == 0 then
    maxAttempts = queueSetting('ma', DEFAULT_MAX_ATTEMPTS)
  end
  if leaseMs == 0 then
    leaseMs = queueSetting('ld', DEFAULT_LEASE_MS)
  end
  local t = { p = ARGV[base + 1], ct = now, q = sequence or nextSequence() }
  if priority ~= 0 then
    t.pr = priority
  end
  if maxAttempts ~= DEFAULT_MAX_ATTEMPTS then
    t.ma = maxAttempts
  end
  if leaseMs ~= DEFAULT_LEASE_MS then
    t.ld = leaseMs
  end
  for i, field in ipairs(RETRY_FIELDS) do
    local value = ARGV[base + 8 + i]
    if value ~= '' then
      t[field] = tonumber(value)
    end
  end
  if ARGV[base + 2] ~= '' then
    t.m = ARGV[base + 2]
  end
  local delay, scheduleAt, expireAt = tonumber(ARGV[base + 4]), tonumber(ARGV[base + 5]), tonumber(ARGV[base + 8])
  if scheduleAt > 0 then
    t.sc = scheduleAt
  elseif delay > 0 then
    t.sc = now + delay
  else
    t.sc = now
  end
  if expireAt > 0 then
    t.xt = expireAt
    redis.call('ZADD', K.deadlines, expireAt, id)
  end
  return id, t
end

-- Records that a worker was active in this queue now.
local function touchWorker(workerId, now)
  redis.call('ZADD', K.workers, now, workerId)
end

local function wakeClaimers()
  redis.call('PUBLISH', WAKE_CHANNEL, K.tasks)
end

-- Leases up to `max` pending tasks to a worker, highest priority first, oldest first within it; a task found past
-- its deadline expires instead. The i-th leased task gets token prefix .. i. Returns a flat list { token, task id,
-- record with payload, ... } (three values per leased task), and the leased records by id.
local function claimPending(workerId, max, leaseMs, tokenPrefix, now)
  local claimed, records = {}, {}
  local count = 0
  local batch = newBatch()
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
      if t.xt and t.xt <= now then
        moveTo(id, t, EXPIRED, now)
        saveTask(id, t)
        emit('expired', id, t, nil)
        expiries.deadlines = expiries.deadlines + 1
      else
        count = count + 1
        local token = tokenPrefix .. count
        grantLease(id, t, workerId, leaseMs, token, now, batch)
        reply3(claimed, token, id, saveTask(id, t, batch))
        records[id] = t
        emit('claimed', id, t, workerId)
      end
    end
  end
  flushBatch(batch)
  return claimed, records
end
