-- The queue keyset by name. Every lifecycle script receives the same keyset as KEYS, in this order (see
-- src/store/keys.ts), all under one hash tag ({[<namespace>:]q:<queue>:0}) so a script runs on one cluster slot.
-- Provides K. Needs nothing.
--   KEYS[1] tasks      hash   task id -> msgpack task record (includes/record)
--   KEYS[2] pending    zset   task id, score = priority band + creation sequence (includes/priorityBand; ZPOPMIN
--                             order: highest priority, then oldest; a task requeued or retried keeps its place)
--   KEYS[3] scheduled  zset   task id, score = schedule time (ms)
--   KEYS[4] active     zset   task id, score = lease expiry (ms)
--   KEYS[5] deadlines  zset   task id, score = expire_time (ms), for unfinished tasks with a deadline
--   KEYS[6] done       zset   task id, score = end time (ms), finished tasks within retention
--   KEYS[7] index      zset   task id, score = creation sequence (ListTasks order), for every task but the pending
--                             ones: `pending` holds their creation sequence already, and most tasks of a busy queue
--                             are pending, so this saves a sorted-set entry for each of them
--   KEYS[8] meta       hash   seq (sequence counter), n<state> (exact count per terminal state; the count of a
--                             live state is the ZCARD of its index), queue settings (paused, ma max attempts,
--                             ld lease ms, rt retention ms, ring completed-ring size, er event count,
--                             ea event max age ms, qp max pending tasks, qb max stored payload bytes), pb payload
--                             bytes stored (includes/storedBytes), rg registered (includes/registration),
--                             lc last claim time (ms), kl concurrency limit per key, rc/rp claim rate limit
--                             (claims per period ms), ra its theoretical arrival time, rs since when and rd for how
--                             long in all (ms) it held claimable tasks back, rn claims it cut short, kc/kp claim rate
--                             limit per concurrency key, kn tasks a key's rate held back,
--                             p:<worker> / f:<worker> tasks that worker completed / failed here, fv the creation sequence up to
--                             which parents were checked for children never stored (commands/staleParents)
--   KEYS[9] completed  list   ids of the most recently finished tasks, newest first, at most `ring` long
--   KEYS[10] workers   zset   worker id, score = when it last claimed or heartbeated in this queue (ms)
--   KEYS[11] events    stream one entry per change, appended by the script that makes it (WatchTasks reads it),
--                             about `er` entries long (queue setting) and, if the queue sets `ea`, none older than
--                             `ea` ms: trimmed once per script run, so it may pass that by one run's events until
--                             the next (reap trims a quiet queue's stream by age)
--   KEYS[12] logs      hash   task id -> the task's log lines (includes/logBlob), deleted with the task
--   KEYS[13] unique    hash   unique key -> '<mode> <window end ms or 0> <task id>' of the submit that took it
--                             (includes/uniqueKeys); mode w window, f until finished, d debounce
--   KEYS[14] uniqueEnds zset  unique key, score = window end (ms), for the `w` entries, which reap deletes once
--                             past (the others go with their task)
--   KEYS[15] waiting   zset   parent id, score = creation sequence, for parents in WAITING_CHILDREN
--   KEYS[16] flows     hash   per parent p with children (includes/flowChildren): c:<p> its children, n:<p> how many
--                             it still waits for, f:<p> how many failed under FAIL_PARENT, o:<p> <queue> <id> the
--                             outcome recorded for a finished child
--   KEYS[17] notices   zset   child id, score = end time (ms): children that finished whose parent has not been told
--                             yet, and cancelled parents whose children were not all cancelled yet (the outbox;
--                             see src/domain/flows.ts)
--   KEYS[18] keyWaiting zset  keyed PENDING tasks waiting for a slot of their concurrency key, all at score 0,
--                             member <key> NUL <16-digit pending score> NUL <task id>, so a key's tasks are one
--                             lex range in priority, then creation order (includes/keySlots)
--   KEYS[19] keyHeld   hash   concurrency key -> slots its tasks hold (claimable in `pending`, or ACTIVE)
--   KEYS[20] keyActive zset   concurrency key -> its ACTIVE tasks, for the operator's top keys (a key leaves when
--                             it holds no slot; one still holding slots stays, at 0 between tasks)
--   KEYS[21] keyRates  zset   concurrency keys by their claim rate limit's theoretical arrival time (includes/rateLimits)
--   KEYS[22] keyThrottled zset concurrency key -> when its rate limit lets its next claim in, for keys holding tasks
--                             back for want of one

local K = {
  tasks = KEYS[1], pending = KEYS[2], scheduled = KEYS[3], active = KEYS[4],
  deadlines = KEYS[5], done = KEYS[6], index = KEYS[7], meta = KEYS[8], completed = KEYS[9], workers = KEYS[10],
  events = KEYS[11], logs = KEYS[12], unique = KEYS[13], uniqueEnds = KEYS[14],
  waiting = KEYS[15], flows = KEYS[16], notices = KEYS[17],
  keyWaiting = KEYS[18], keyHeld = KEYS[19], keyActive = KEYS[20], keyRates = KEYS[21], keyThrottled = KEYS[22],
}
