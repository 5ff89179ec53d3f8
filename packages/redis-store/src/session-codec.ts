import type { Session } from '@baton/express'

/**
 * A session is one Redis hash. The fields the Lua scripts read or write are separate decimal
 * strings; the rest (`sub`, `claims`, `userAgent`) is one JSON field the scripts never parse, so
 * claims round-trip exactly (Redis's cjson would turn `[]` into `{}` and round large numbers).
 * The scripts compare numbers but never format them: every number they store is a string this
 * module wrote, so the text read back is the text written.
 *
 * `v` marks the layout. A hash without `v = 1`, or with a field that does not decode, is not one
 * of our sessions: the scripts and `decodeSession` treat it as missing.
 */
export const FORMAT_VERSION = '1'

/** The hash of `session`, as the field/value list HSET takes. */
export function encodeSession(session: Session): string[] {
  const data: { sub: string; claims: Record<string, unknown>; userAgent?: string } = {
    sub: session.sub,
    claims: session.claims,
  }
  if (session.userAgent !== undefined) data.userAgent = session.userAgent
  return [
    'v',
    FORMAT_VERSION,
    'data',
    JSON.stringify(data),
    'createdAt',
    String(session.createdAt),
    'lastUsedAt',
    String(session.lastUsedAt),
    'expiresAt',
    String(session.expiresAt),
    'refreshExpiresAt',
    String(session.refreshExpiresAt),
    'generation',
    String(session.generation),
    'rotatedAt',
    String(session.rotatedAt),
    'used',
    session.used ? '1' : '0',
  ]
}

/** The session in an HGETALL reply (`[field, value, …]`), or undefined if it is not one of ours. */
export function decodeSession(sid: string, reply: readonly string[]): Session | undefined {
  const fields = new Map<string | undefined, string | undefined>()
  for (let index = 0; index + 1 < reply.length; index += 2)
    fields.set(reply[index], reply[index + 1])
  if (fields.get('v') !== FORMAT_VERSION) return undefined
  const data = parseData(fields.get('data'))
  const createdAt = parseNumber(fields.get('createdAt'))
  const lastUsedAt = parseNumber(fields.get('lastUsedAt'))
  const expiresAt = parseNumber(fields.get('expiresAt'))
  const refreshExpiresAt = parseNumber(fields.get('refreshExpiresAt'))
  const generation = parseNumber(fields.get('generation'))
  const rotatedAt = parseNumber(fields.get('rotatedAt'))
  if (
    data === undefined ||
    createdAt === undefined ||
    lastUsedAt === undefined ||
    expiresAt === undefined ||
    refreshExpiresAt === undefined ||
    generation === undefined ||
    rotatedAt === undefined
  ) {
    return undefined
  }
  const session: Session = {
    sid,
    sub: data.sub,
    claims: data.claims,
    createdAt,
    lastUsedAt,
    expiresAt,
    refreshExpiresAt,
    generation,
    rotatedAt,
    // Written before the field existed: count it as used, the stricter reading of the rule.
    used: fields.get('used') !== '0',
  }
  if (data.userAgent !== undefined) session.userAgent = data.userAgent
  return session
}

/** Only the exact text `String(n)` gives: `Number('')` is 0 and `Number(' 1')` is 1, not ours. */
function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  return Number.isFinite(value) && String(value) === text ? value : undefined
}

function parseData(
  text: string | undefined,
): { sub: string; claims: Record<string, unknown>; userAgent?: string } | undefined {
  if (text === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!isRecord(value)) return undefined
  const { sub, claims, userAgent } = value
  if (typeof sub !== 'string' || !isRecord(claims)) return undefined
  if (userAgent === undefined) return { sub, claims }
  if (typeof userAgent !== 'string') return undefined
  return { sub, claims, userAgent }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
