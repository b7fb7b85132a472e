-- Errors as codes with arguments ('BATON <CODE> <arg>...'): src/store/redisErrors.ts turns them into domain errors
-- and messages for people, so the wording lives in one place.
-- Provides reject(code, ...): an error reply. Needs nothing.

local function reject(code, ...)
  return redis.error_reply(table.concat({ 'BATON', code, ... }, ' '))
end
