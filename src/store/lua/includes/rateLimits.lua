-- Claim rate limits, per queue (meta rc claims per rp ms) and per concurrency key (kc per kp ms), as GCRA: the
-- token bucket of `rate` tokens refilled continuously, kept as one number, the theoretical arrival time (TAT), on
-- Redis TIME. A claim at `now` may take k tokens while TAT + (k - 1) * interval - now <= burst, with
-- interval = period / rate and burst = period - interval (a full bucket lets `rate` claims through at once); a
-- TAT in the past is a full bucket. The queue's TAT is meta `ra`; a key's is its score in keyRates, a sorted set so
-- that keys whose TAT has passed (a full bucket, the same as no entry) are dropped by score as tokens are taken:
-- without that, every key ever rate-limited would stay stored.
-- Provides queueClaimAllowance(now), spendQueueClaims(count, now, wanted), queueTokenAt(now), takeKeyToken(key,
-- now), keyClaimAllowance(key, now), keyTokenAt(key, now). Needs K (includes/keys), queueSetting
-- (includes/queueSetting).
--- @include "includes/keys"
--- @include "includes/queueSetting"

-- Against float rounding in the division below: k claims that fit exactly must not come out as k - 1.
local RATE_EPSILON = 1e-6

-- How many claims a bucket lets through now (tat: its TAT or nil), and the TAT they start from.
local function allowance(tat, now, rate, period)
  local interval = period / rate
  local start = math.max(tat or now, now)
  local room = (period - interval) - (start - now)
  if room < 0 then
    return 0, start
  end
  return math.floor(room / interval + RATE_EPSILON) + 1, start
end

-- When the bucket lets the next claim in.
local function nextTokenAt(tat, now, rate, period)
  local start = math.max(tat or now, now)
  return math.ceil(start - (period - period / rate))
end

local queueTat

-- Claims the queue's rate lets through now (nil: no limit).
local function queueClaimAllowance(now)
  local rate = queueSetting('rc', 0)
  if rate == 0 then
    return nil
  end
  queueTat = tonumber(redis.call('HGET', K.meta, 'ra'))
  local allowed = allowance(queueTat, now, rate, queueSetting('rp', 1000))
  return allowed
end

-- After a claim under the queue's rate: `count` tokens taken; `cut` when the rate gave fewer tasks than were there
-- to claim, which counts as a throttled claim and starts (or continues) the queue's throttled time.
local function spendQueueClaims(count, now, cut)
  local rate, period = queueSetting('rc', 0), queueSetting('rp', 1000)
  local _, start = allowance(queueTat, now, rate, period)
  if count > 0 then
    queueTat = start + count * period / rate
    redis.call('HSET', K.meta, 'ra', string.format('%.3f', queueTat))
  end
  local since = tonumber(redis.call('HGET', K.meta, 'rs'))
  if cut then
    redis.call('HINCRBY', K.meta, 'rn', 1)
    if not since then
      redis.call('HSET', K.meta, 'rs', now)
    end
  elseif since then
    redis.call('HINCRBY', K.meta, 'rd', now - since)
    redis.call('HDEL', K.meta, 'rs')
  end
end

local function queueTokenAt(now)
  return nextTokenAt(queueTat, now, queueSetting('rc', 0), queueSetting('rp', 1000))
end

local function keyTat(key)
  return tonumber(redis.call('ZSCORE', K.keyRates, key))
end

local keyRatesTrimmed = false

-- Claims the key's rate lets through now (nil: no limit per key).
local function keyClaimAllowance(key, now)
  local rate = queueSetting('kc', 0)
  if rate == 0 then
    return nil
  end
  local allowed = allowance(keyTat(key), now, rate, queueSetting('kp', 1000))
  return allowed
end

local function keyTokenAt(key, now)
  return nextTokenAt(keyTat(key), now, queueSetting('kc', 0), queueSetting('kp', 1000))
end

-- Takes one of the key's tokens for a claim: true, or false when it has none (nothing is written then).
local function takeKeyToken(key, now)
  local rate = queueSetting('kc', 0)
  if rate == 0 then
    return true
  end
  local period = queueSetting('kp', 1000)
  local allowed, start = allowance(keyTat(key), now, rate, period)
  if allowed == 0 then
    return false
  end
  if not keyRatesTrimmed then
    keyRatesTrimmed = true
    redis.call('ZREMRANGEBYSCORE', K.keyRates, '-inf', '(' .. now)
  end
  redis.call('ZADD', K.keyRates, string.format('%.3f', start + period / rate), key)
  return true
end
