-- Opens a finished task for a new round of attempts: the attempt budget is renewed, history kept, and a deadline
-- already passed is dropped (or the task would expire at once). The caller moves it into its next state.
-- Provides reopen(id, t, now). Needs K (includes/keys).
--- @include "includes/keys"

local function reopen(id, t, now)
  t.ab, t.cr, t.et, t.wf = t.a, nil, nil, nil
  if t.xt then
    if t.xt <= now then
      t.xt = nil
    else
      redis.call('ZADD', K.deadlines, t.xt, id)
    end
  end
end
