/**
 * The refresh-token cookie: its options resolved once, and reading, setting and clearing it on a
 * request. Parsing and serialising are the `cookie` package's (what Express itself uses).
 */
import { parse, serialize } from 'cookie'
import type { Request, Response } from 'express'
import type { RefreshCookie, RefreshCookieOptions } from './options.js'
import type { TokenResponse } from './responses.js'

export const DEFAULT_COOKIE_NAME = 'baton_refresh'

const COOKIE_OPTIONS = new Set(['name', 'path', 'sameSite', 'secure', 'domain', 'origins'])

/** `refreshCookie` resolved; a bad field throws a TypeError naming it (`refreshCookie.sameSite`). */
export function resolveRefreshCookie(
  value: boolean | RefreshCookieOptions | undefined,
  production: boolean,
): RefreshCookie | undefined {
  if (value === undefined || value === false) return undefined
  if (value !== true && (typeof value !== 'object' || Array.isArray(value))) {
    throw new TypeError('refreshCookie must be a boolean or an object')
  }
  const options: RefreshCookieOptions = value === true ? {} : value
  for (const name of Object.keys(options)) {
    if (!COOKIE_OPTIONS.has(name)) {
      throw new TypeError(`unknown option ${JSON.stringify(`refreshCookie.${name}`)}`)
    }
  }
  const sameSite = options.sameSite ?? 'strict'
  if (sameSite !== 'strict' && sameSite !== 'lax') {
    throw new TypeError("refreshCookie.sameSite must be 'strict' or 'lax'")
  }
  const secure = options.secure ?? true
  if (typeof secure !== 'boolean') throw new TypeError('refreshCookie.secure must be a boolean')
  // A refresh token over plain HTTP in production is a leak waiting to happen: say so loudly.
  if (!secure && production) {
    throw new TypeError(
      'refreshCookie.secure must not be false when NODE_ENV asks for production rules (browsers accept Secure cookies on http://localhost)',
    )
  }
  const cookie: RefreshCookie = {
    name: options.name ?? DEFAULT_COOKIE_NAME,
    path: options.path,
    sameSite,
    secure,
    domain: options.domain,
    origins: resolveOrigins(options.origins),
  }
  if (
    cookie.path !== undefined &&
    (typeof cookie.path !== 'string' || !cookie.path.startsWith('/'))
  ) {
    throw new TypeError("refreshCookie.path must be a string starting with '/'")
  }
  // The cookie package validates name, path and domain; ask it once, here, and name our option.
  for (const field of ['name', 'path', 'domain'] as const) {
    try {
      serialize(cookie.name, 'x', { [field]: cookie[field] })
    } catch {
      throw new TypeError(`refreshCookie.${field} is not valid in a cookie`)
    }
  }
  return cookie
}

function resolveOrigins(origins: readonly string[] | undefined): ReadonlySet<string> | undefined {
  if (origins === undefined) return undefined
  if (!Array.isArray(origins) || origins.length === 0) {
    throw new TypeError('refreshCookie.origins must be a non-empty array of origins')
  }
  for (const origin of origins) {
    if (typeof origin !== 'string' || URL.parse(origin)?.origin !== origin) {
      throw new TypeError(
        'refreshCookie.origins must hold origins such as https://app.example.com (scheme, host, port; no path or trailing slash)',
      )
    }
  }
  return new Set(origins)
}

/** The refresh token the request's cookie carries, or undefined. */
export function readRefreshCookie(req: Request, cookie: RefreshCookie): string | undefined {
  const header = req.get('cookie')
  if (header === undefined) return undefined
  const token = parse(header)[cookie.name]
  return token === undefined || token === '' ? undefined : token
}

/** Sets the cookie for `maxAge` seconds; 0 clears it. */
export function setRefreshCookie(
  req: Request,
  res: Response,
  cookie: RefreshCookie,
  token: string,
  maxAge: number,
): void {
  res.append(
    'Set-Cookie',
    serialize(cookie.name, token, {
      httpOnly: true,
      secure: cookie.secure,
      sameSite: cookie.sameSite,
      // Where the router is mounted, so requests to the API never carry the refresh token.
      path: cookie.path ?? (req.baseUrl === '' ? '/' : req.baseUrl),
      maxAge,
      ...(cookie.domain === undefined ? {} : { domain: cookie.domain }),
    }),
  )
}

export function clearRefreshCookie(req: Request, res: Response, cookie: RefreshCookie): void {
  setRefreshCookie(req, res, cookie, '', 0)
}

/**
 * Answers tokens to a cookie client: the refresh token goes into the cookie, for as long as it
 * lives, and never into the body.
 */
export function sendCookieTokens(
  req: Request,
  res: Response,
  cookie: RefreshCookie,
  tokens: TokenResponse,
): void {
  const { refresh_token: refreshToken, ...body } = tokens
  setRefreshCookie(req, res, cookie, refreshToken, tokens.refresh_expires_in)
  res.json(body)
}
