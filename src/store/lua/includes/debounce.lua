-- A debounce: a submit with a debounce key found the key's task not started yet, so that task takes the submit's
-- payload, metadata, priority and trace context and runs `ms` from now instead. Its type, attempts, lease, retry
-- policy and deadline stay as the first submit set them. Written at once rather than batched: the task may have been
-- created earlier in the same submit, and a batch moves a task at most once.
-- Provides debounce(id, t, base, now, ms): the change in stored payload bytes. `base`: the submit's TASK_FIELDS
-- group (includes/newTask). Needs moveTo (includes/moveTo), saveTask (includes/saveTask), emit (includes/emit),
-- SCHEDULED (includes/states).
--- @include "includes/moveTo"
--- @include "includes/saveTask"
--- @include "includes/emit"
--- @include "includes/states"

local function orNil(value)
  if value == '' then
    return nil
  end
  return value
end

local function debounce(id, t, base, now, ms)
  local grown = #ARGV[base + 1] - #(t.p or '')
  local priority = tonumber(ARGV[base + 3])
  t.p, t.m = ARGV[base + 1], orNil(ARGV[base + 2])
  t.pr = priority ~= 0 and priority or nil
  t.tp = orNil(ARGV[base + 14])
  t.tt = t.tp and orNil(ARGV[base + 15]) or nil
  t.sc = now + ms
  moveTo(id, t, SCHEDULED, now)
  saveTask(id, t)
  emit('debounced', id, t, nil)
  return grown
end
