/**
 * Revocation for a downstream service by asking the issuer (RFC 7662): is this access token's
 * session still live? Answers are cached for `cacheTtl` — the bound on how late a logout reaches
 * this service — and never past the token's own `exp`. Concurrent checks of one token share one
 * call. Keyed by `sid` and `jti`, which identify a verified token, so no token is held in memory.
 */
import { LRUCache } from 'lru-cache'
import type { AuthInfo } from './access-token.js'
import { InvalidTokenError, IssuerUnavailableError } from './errors.js'

export interface IntrospectionCheckOptions {
  url: string
  clientId: string
  clientSecret: string
  cacheTtlMs: number
  cacheSize: number
  timeoutMs: number
  realm: string
  retryAfterSeconds: number
}

export type RevocationCheck = (token: string, info: AuthInfo, at: number) => Promise<AuthInfo>

interface Answer {
  active: boolean
  /** Epoch ms after which the answer is asked again. */
  until: number
}

export function introspectionCheck(options: IntrospectionCheckOptions): RevocationCheck {
  const answers = new LRUCache<string, Answer>({ max: options.cacheSize })
  const inFlight = new Map<string, Promise<boolean>>()
  // RFC 6749 §2.3.1: each part is form-encoded before the Basic encoding.
  const credentials = Buffer.from(
    `${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`,
  ).toString('base64')

  const ask = async (token: string, sub: string): Promise<boolean> => {
    let body: unknown
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${credentials}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(options.timeoutMs),
      })
      if (!response.ok) {
        await response.body?.cancel()
        throw Object.assign(new Error('introspection failed'), { code: `HTTP_${response.status}` })
      }
      body = await response.json()
    } catch (error) {
      throw new IssuerUnavailableError(options.retryAfterSeconds, error)
    }
    const { active, sub: answeredSub } = (body ?? {}) as { active?: unknown; sub?: unknown }
    if (typeof active !== 'boolean') throw new IssuerUnavailableError(options.retryAfterSeconds)
    // An answer about another subject is no answer about this token.
    return active && answeredSub === sub
  }

  return async (token, info, at) => {
    const key = `${info.sid}.${info.jti}`
    let answer = answers.get(key)
    if (answer === undefined || at >= answer.until) {
      let pending = inFlight.get(key)
      if (pending === undefined) {
        pending = ask(token, info.sub).finally(() => inFlight.delete(key))
        inFlight.set(key, pending)
      }
      const active = await pending
      const expires = (info.claims.exp as number) * 1000
      answer = { active, until: active ? Math.min(at + options.cacheTtlMs, expires) : expires }
      answers.set(key, answer)
    }
    if (!answer.active) {
      throw new InvalidTokenError(
        'ERR_TOKEN_REVOKED',
        'The session of this access token has ended',
        options.realm,
      )
    }
    return info
  }
}

function formEncode(text: string): string {
  return encodeURIComponent(text).replaceAll('%20', '+')
}
