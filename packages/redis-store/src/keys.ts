/**
 * The key layout. Everything of one subject shares one Redis Cluster hash tag, so every script
 * that touches a session together with its subject's index runs inside one slot:
 *
 * ```
 * <prefix>{<tag>}:sessions         sorted set  sid → createdAt: the subject's sessions, oldest first
 * <prefix>{<tag>}:session:<sid>    hash        one session
 * <prefix>sid:<sid>                string      <tag>: which subject (so which slot) a sid lives in
 * ```
 *
 * The store is asked for a session by `sid` alone, so it first needs the tag: the pointer key
 * answers that (its own slot, a plain GET), and a bounded in-memory cache of those answers skips
 * it on the hot path, since a sid never changes subject.
 *
 * `<tag>` encodes the subject so that no subject can break the routing: Redis hashes the text
 * between the first `{` and the next `}`, and treats `{}` as no tag at all. base64url has no
 * braces, and the leading letter keeps the tag non-empty for an empty subject:
 * - `u` + base64url of the UTF-8 bytes, for every well-formed Unicode subject;
 * - `w` + base64url of the UTF-16 code units, for a subject with a lone surrogate, which UTF-8
 *   cannot carry (it would become U+FFFD and collide with a real U+FFFD subject).
 */

export interface KeyLayout {
  /** The subject index of `tag`. */
  index(tag: string): string
  /** One session of `tag`'s subject. */
  session(tag: string, sid: string): string
  /** The pointer from `sid` to its subject's tag. */
  pointer(sid: string): string
}

/** The scripts find a session's key from the index key: the same text up to this suffix. */
export const INDEX_SUFFIX = 'sessions'
export const SESSION_INFIX = 'session:'

export function keyLayout(prefix: string): KeyLayout {
  return {
    index: (tag) => `${prefix}{${tag}}:${INDEX_SUFFIX}`,
    session: (tag, sid) => `${prefix}{${tag}}:${SESSION_INFIX}${sid}`,
    pointer: (sid) => `${prefix}sid:${sid}`,
  }
}

/** The hash tag of a subject (without the braces). */
export function subjectTag(sub: string): string {
  const utf8 = Buffer.from(sub, 'utf8')
  if (utf8.toString('utf8') === sub) return `u${utf8.toString('base64url')}`
  return `w${Buffer.from(sub, 'utf16le').toString('base64url')}`
}

/** Whether a pointer's value can be a tag we wrote (anything else would misroute a key). */
export function isSubjectTag(value: string): boolean {
  return /^[uw][\w-]*$/.test(value)
}

/** Whether `text` would put its own hash tag in front of ours. */
export function hasBraces(text: string): boolean {
  return text.includes('{') || text.includes('}')
}

/**
 * The sid of a session key as Redis names it (any client `keyPrefix` in front), or undefined for
 * any other key. Neither the prefixes nor a tag hold a brace, so the first `}` closes the tag.
 */
export function sessionIdOfKey(key: string): string | undefined {
  const marker = `}:${SESSION_INFIX}`
  const at = key.indexOf(marker)
  return at === -1 ? undefined : key.slice(at + marker.length)
}
