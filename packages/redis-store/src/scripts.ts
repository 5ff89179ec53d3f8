import type { Cluster, Redis } from 'ioredis'
import { INDEX_SUFFIX, SESSION_INFIX } from './keys.js'

/**
 * The store's atomic steps, one Lua script each. Every script gets the subject index as KEYS[1]
 * and builds the key of any session of that subject from it (same text up to `sessions`, then
 * `session:<sid>`), so every key a script touches carries the same hash tag and lives in the
 * same Cluster slot. Building same-slot keys inside a script is what Cluster allows and what
 * BullMQ does with its `{queue}` tags; a key of another slot would fail with a cross-slot error.
 * Deriving the keys from KEYS[1] (rather than from an argument) also keeps them right under an
 * ioredis `keyPrefix`, which ioredis adds to KEYS only.
 *
 * The scripts are registered with ioredis `defineCommand`: it sends EVALSHA, and EVAL when a
 * server answers NOSCRIPT (a restart, a failover, a new Cluster node), per connection.
 *
 * Conventions: a session is "live" here when its hash is one of ours (`v` = 1 and the numeric
 * fields parse); liveness in time (`refreshExpiresAt > now`) is judged against the caller's
 * `now`. Numbers are compared, never formatted: what the scripts store are strings the caller
 * passed in. A key that holds something else under our prefix is deleted and counted as
 * `corrupt`, so the caller can report it; it never makes a script fail.
 */

const PRELUDE = `
local index = KEYS[1]
local base = string.sub(index, 1, -${INDEX_SUFFIX.length + 1}) .. '${SESSION_INFIX}'
local corrupt = 0

-- Only text of the shape String(n) writes (a digit first, then digits, a point, an exponent):
-- tonumber alone would also take ' 1', '0x1' or 'inf', which session-codec.ts refuses.
local function number(text)
  if type(text) ~= 'string' or not string.find(text, '^%-?%d[%d%.e%+%-]*$') then return nil end
  local value = tonumber(text)
  if value and value == value and value > -math.huge and value < math.huge then return value end
  return nil
end

-- The fields the scripts decide on; nil when there is no such key; false when the key holds
-- something that is not one of our sessions.
local function state(key)
  local f = redis.pcall('HMGET', key, 'v', 'data', 'createdAt', 'lastUsedAt', 'expiresAt',
    'refreshExpiresAt', 'generation', 'rotatedAt', 'used')
  if f.err then return false end
  if not f[1] then
    if redis.call('EXISTS', key) == 0 then return nil end
    return false
  end
  local s = { createdAt = number(f[3]), lastUsedAt = number(f[4]), expiresAt = number(f[5]),
    expiresAtText = f[5], refreshExpiresAt = number(f[6]), generation = number(f[7]),
    rotatedAt = number(f[8]), used = f[9] ~= '0' }
  if f[1] ~= '1' or not f[2] or not (s.createdAt and s.lastUsedAt and s.expiresAt
    and s.refreshExpiresAt and s.generation and s.rotatedAt) then
    return false
  end
  return s
end

-- The index must be a sorted set (or absent); anything else is replaced.
local function checkIndex()
  local kind = redis.call('TYPE', index).ok
  if kind ~= 'zset' and kind ~= 'none' then
    redis.call('DEL', index)
    corrupt = corrupt + 1
  end
end

-- ZREM that tolerates a corrupt index (the next create, list or bulk delete replaces it).
local function unindex(sid)
  redis.pcall('ZREM', index, sid)
end

local function drop(key, sid)
  redis.call('DEL', key)
  unindex(sid)
end

-- The index outlives its longest-lived session, and no longer.
local function extendIndex(ttl)
  if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
end

local function ttlUntil(expiry, now)
  return string.format('%d', math.max(1, math.ceil(expiry - now)))
end

-- Walks the subject's index: forgets members whose session is gone, drops corrupt ones
-- (counting them), and calls visit(member, key) for each session still live at now.
local function eachLive(now, visit)
  for _, member in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    local key = base .. member
    local s = state(key)
    if s == nil then
      unindex(member)
    elseif s == false then
      drop(key, member)
      corrupt = corrupt + 1
    elseif s.refreshExpiresAt > now then
      visit(member, key)
    end
  end
end
`

/** KEYS: index, session. ARGV: sid. → {'found', hgetall} | {'missing'} | {'corrupt'} */
const GET = `${PRELUDE}
local s = state(KEYS[2])
if s == nil then return {'missing'} end
if s == false then
  drop(KEYS[2], ARGV[1])
  return {'corrupt'}
end
return {'found', redis.call('HGETALL', KEYS[2])}
`

/**
 * KEYS: index, session. ARGV: sid, now, maxPerSubject, policy, ttl ms, createdAt, fields….
 * Counts the subject's live sessions at `now`, evicts the oldest or refuses, then inserts, all
 * in one step: concurrent logins cannot both take the last place.
 * → {'ok', corrupt, evicted sid…} | {'limit', corrupt}
 */
const CREATE = `${PRELUDE}
local sid, now, max, policy = ARGV[1], number(ARGV[2]), number(ARGV[3]), ARGV[4]
checkIndex()
local live = {}
eachLive(now, function(member)
  if member ~= sid then table.insert(live, member) end
end)
local evicted = {'ok', corrupt}
local excess = #live - (max - 1)
if excess > 0 then
  if policy == 'reject' then return {'limit', corrupt} end
  -- ZRANGE is ordered by createdAt (ties by sid), so the oldest come first.
  for i = 1, math.min(excess, #live) do
    drop(base .. live[i], live[i])
    table.insert(evicted, live[i])
  end
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 7))
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('ZADD', index, ARGV[6], sid)
extendIndex(tonumber(ARGV[5]))
return evicted
`

/**
 * KEYS: index, session. ARGV: sid, now, grace ms, presented generation, next generation
 * (presented + 1), now + refresh ttl. The compare-and-increment of the refresh generation; the
 * decision restates `decideRotation` of @baton/express (rotation-rule.ts) — Lua cannot call it —
 * and the shared contract suite checks the two agree case by case. Redis serializes concurrent
 * calls, so exactly one rotates.
 * → {'rotated' | 'resynced' | 'replayed' | 'reused', hgetall} | {'missing'} | {'corrupt'}
 */
const ROTATE = `${PRELUDE}
local sid, now, grace, presented = ARGV[1], number(ARGV[2]), number(ARGV[3]), number(ARGV[4])
local key = KEYS[2]
local s = state(key)
if s == nil then return {'missing'} end
if s == false then
  drop(key, sid)
  return {'corrupt'}
end
if s.refreshExpiresAt <= now then return {'missing'} end
local outcome
if presented == s.generation then
  outcome = 'rotated'
elseif presented > s.generation then
  -- Newer than stored: only after the store lost writes (the caller checked the MAC).
  outcome = 'resynced'
elseif presented == s.generation - 1 and (not s.used or now < s.rotatedAt + grace) then
  return {'replayed', redis.call('HGETALL', key)}
else
  local all = redis.call('HGETALL', key)
  drop(key, sid)
  return {'reused', all}
end
local expiry, expiryText = number(ARGV[6]), ARGV[6]
if expiry > s.expiresAt then expiry, expiryText = s.expiresAt, s.expiresAtText end
redis.call('HSET', key, 'generation', ARGV[5], 'rotatedAt', ARGV[2], 'lastUsedAt', ARGV[2],
  'refreshExpiresAt', expiryText, 'used', '0')
local ttl = ttlUntil(expiry, now)
redis.call('PEXPIRE', key, ttl)
extendIndex(tonumber(ttl))
return {outcome, redis.call('HGETALL', key)}
`

/**
 * KEYS: index, session. ARGV: sid, now, generation. Marks the generation used if it is still the
 * current one of a live session; never creates a key. → {'ok'} | {'corrupt'}
 */
const MARK_USED = `${PRELUDE}
local s = state(KEYS[2])
if s == false then
  drop(KEYS[2], ARGV[1])
  return {'corrupt'}
end
if s and s.refreshExpiresAt > number(ARGV[2]) and s.generation == number(ARGV[3]) then
  redis.call('HSET', KEYS[2], 'used', '1')
end
return {'ok'}
`

/** KEYS: index, session. ARGV: sid, now. Never creates a key. → {'ok'} | {'corrupt'} */
const TOUCH = `${PRELUDE}
local s = state(KEYS[2])
if s == false then
  drop(KEYS[2], ARGV[1])
  return {'corrupt'}
end
if s and s.refreshExpiresAt > number(ARGV[2]) then
  redis.call('HSET', KEYS[2], 'lastUsedAt', ARGV[2])
end
return {'ok'}
`

/** KEYS: index, session. ARGV: sid. → {'deleted', hgetall} | {'missing'} | {'corrupt'} */
const DELETE = `${PRELUDE}
local s = state(KEYS[2])
if s == nil then
  unindex(ARGV[1])
  return {'missing'}
end
if s == false then
  drop(KEYS[2], ARGV[1])
  return {'corrupt'}
end
local all = redis.call('HGETALL', KEYS[2])
drop(KEYS[2], ARGV[1])
return {'deleted', all}
`

/**
 * KEYS: index. ARGV: now. The subject's sessions live at `now`, oldest first; index entries of
 * sessions Redis has expired are removed on the way.
 * → {corrupt, {sid, hgetall}…}
 */
const LIST = `${PRELUDE}
local now = number(ARGV[1])
checkIndex()
local sessions = {}
eachLive(now, function(member, key)
  table.insert(sessions, {member, redis.call('HGETALL', key)})
end)
return {corrupt, sessions}
`

/**
 * KEYS: index. ARGV: '1' to keep a sid, the sid to keep. Deletes the rest; answers the sids
 * that had a session key. → {corrupt, {sid…}}
 */
const DELETE_BY_SUBJECT = `${PRELUDE}
local keep, kept = ARGV[1] == '1', ARGV[2]
checkIndex()
local deleted = {}
for _, member in ipairs(redis.call('ZRANGE', index, 0, -1)) do
  if not (keep and member == kept) then
    if redis.call('DEL', base .. member) == 1 then table.insert(deleted, member) end
    unindex(member)
  end
end
if redis.call('ZCARD', index) == 0 then redis.call('DEL', index) end
return {corrupt, deleted}
`

const DEFINITIONS = {
  batonSessionGet: { numberOfKeys: 2, lua: GET },
  batonSessionCreate: { numberOfKeys: 2, lua: CREATE },
  batonSessionRotate: { numberOfKeys: 2, lua: ROTATE },
  batonSessionTouch: { numberOfKeys: 2, lua: TOUCH },
  batonSessionMarkUsed: { numberOfKeys: 2, lua: MARK_USED },
  batonSessionDelete: { numberOfKeys: 2, lua: DELETE },
  batonSessionList: { numberOfKeys: 1, lua: LIST },
  batonSessionDeleteBySubject: { numberOfKeys: 1, lua: DELETE_BY_SUBJECT },
} as const

type ScriptName = keyof typeof DEFINITIONS

/** HGETALL's answer: `[field, value, field, value, …]`. */
export type HashReply = string[]

/** What each script answers (Lua tables become arrays, Lua integers numbers). */
export interface ScriptReplies {
  batonSessionGet: ['found', HashReply] | ['missing'] | ['corrupt']
  batonSessionCreate: ['ok', number, ...string[]] | ['limit', number]
  batonSessionRotate:
    ['rotated' | 'resynced' | 'replayed' | 'reused', HashReply] | ['missing'] | ['corrupt']
  batonSessionTouch: ['ok'] | ['corrupt']
  batonSessionMarkUsed: ['ok'] | ['corrupt']
  batonSessionDelete: ['deleted', HashReply] | ['missing'] | ['corrupt']
  batonSessionList: [number, [string, HashReply][]]
  batonSessionDeleteBySubject: [number, string[]]
}

/** Runs one of the scripts: `run('batonSessionGet', key1, key2, arg1, …)`. */
export type ScriptRunner = <Name extends ScriptName>(
  name: Name,
  ...keysAndArgs: string[]
) => Promise<ScriptReplies[Name]>

/**
 * Registers the scripts on `client` (idempotent: the names are ours and the definitions fixed,
 * so several stores can share one client) and returns a typed way to call them.
 */
export function defineScripts(client: Redis | Cluster): ScriptRunner {
  for (const [name, definition] of Object.entries(DEFINITIONS)) {
    client.defineCommand(name, definition)
  }
  // defineCommand adds methods ioredis's types cannot know about, answering what the Lua above
  // returns: this is the one place that says so.
  const commands = client as unknown as {
    [Name in ScriptName]: (...keysAndArgs: string[]) => Promise<ScriptReplies[Name]>
  }
  return (name, ...keysAndArgs) => commands[name](...keysAndArgs)
}
