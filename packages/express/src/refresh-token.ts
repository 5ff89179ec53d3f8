/**
 * Refresh tokens are opaque to clients: `sid.generation.mac`, where the MAC binds the pair to our
 * refresh MAC key. The store keeps only the current generation: no token, no hash of one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { RefreshMacKeys } from './keys.js'

const REFRESH_TOKEN = /^([A-Za-z0-9_-]{22})\.(0|[1-9][0-9]{0,14})\.([A-Za-z0-9_-]{43})$/

/** Whether `token` is shaped like one of our refresh tokens (its MAC not checked). */
export function isRefreshTokenShape(token: string): boolean {
  return REFRESH_TOKEN.test(token)
}

/** The refresh token of a session's generation. */
export function signRefreshToken(keys: RefreshMacKeys, sid: string, generation: number): string {
  return `${sid}.${generation}.${mac(keys.current, sid, generation)}`
}

/** The sid and generation of a refresh token whose MAC any key verifies, or undefined. */
export function parseRefreshToken(
  keys: RefreshMacKeys,
  token: string,
): { sid: string; generation: number } | undefined {
  const match = REFRESH_TOKEN.exec(token)
  if (match === null) return undefined
  const [, sid, generationText, presented] = match as unknown as [string, string, string, string]
  const generation = Number(generationText)
  // Compare the text, not decoded bytes: base64url's last character has spare bits, so two
  // spellings decode alike, and a tampered spelling must not pass.
  const presentedBytes = Buffer.from(presented, 'latin1')
  for (const key of keys.all) {
    const expected = Buffer.from(mac(key, sid, generation), 'latin1')
    if (timingSafeEqual(expected, presentedBytes)) return { sid, generation }
  }
  return undefined
}

function mac(key: Buffer, sid: string, generation: number): string {
  return createHmac('sha256', key).update(`${sid}.${generation}`).digest('base64url')
}
