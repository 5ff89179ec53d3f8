/**
 * What goes into a session's claims, and how claims are copied out of tokens: plain, small, ours,
 * and never able to reach `Object.prototype`.
 */
import { isScopeString, isScopeToken } from './scope.js'

/** Claims the library sets itself; `authenticate` and `issue` may not supply them. */
export const REGISTERED_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'sid',
  'typ',
  'client_id',
  'gen',
])

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const MAX_SUBJECT_LENGTH = 256
const MAX_CLAIMS_BYTES = 4096

/** A plain copy that drops keys which would reach `Object.prototype` when assigned. */
export function safeCopy(source: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(source)) {
    if (!UNSAFE_KEYS.has(key)) copy[key] = source[key]
  }
  return copy
}

export function checkSubject(sub: unknown): string {
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) {
    throw new TypeError(
      `sub must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters`,
    )
  }
  return sub
}

/** Claims become JSON in every token and in the store: keep them plain, small and ours. */
export function checkClaims(claims: unknown): Record<string, unknown> {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new TypeError('claims must be a plain object')
  }
  const copy = safeCopy(claims as Record<string, unknown>)
  for (const name of Object.keys(copy)) {
    if (REGISTERED_CLAIMS.has(name))
      throw new TypeError(`claims must not set the registered claim ${name}`)
  }
  if (Array.isArray(copy.scope) && copy.scope.every(isScopeToken)) {
    copy.scope = copy.scope.join(' ')
  }
  if (copy.scope !== undefined && !isScopeString(copy.scope)) {
    throw new TypeError('claims.scope must be a space-delimited string or an array of strings')
  }
  const json = JSON.stringify(copy)
  if (Buffer.byteLength(json) > MAX_CLAIMS_BYTES) {
    throw new TypeError(`claims must serialize to at most ${MAX_CLAIMS_BYTES} bytes of JSON`)
  }
  return JSON.parse(json) as Record<string, unknown>
}
