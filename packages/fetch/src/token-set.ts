/**
 * The tokens of one session. Times are epoch **milliseconds** (durations elsewhere are seconds).
 *
 * `JSON.stringify(tokenSet)` (through `toJSON()`) writes the tokens, on purpose: that is how
 * storages persist them. Everything else hides them: they live in private fields, and
 * `util.inspect` / `console.log` in Node show `[redacted]`.
 */

/** The camelCase form `toJSON()` writes and `TokenSet.parse` reads. Times in epoch milliseconds. */
export interface TokenSetInit {
  /** The bearer access token. */
  accessToken: string
  /** Only `Bearer` (any case) is supported. @default 'Bearer' */
  tokenType?: string | undefined
  /** When the access token expires, epoch milliseconds. @default undefined (no expiry known) */
  expiresAt?: number | undefined
  /** The refresh token. @default undefined (the session cannot be refreshed) */
  refreshToken?: string | undefined
  /** When the refresh token expires, epoch milliseconds. @default undefined (no expiry known) */
  refreshExpiresAt?: number | undefined
  /** The granted scope, space-delimited (RFC 6749 §3.3). */
  scope?: string | undefined
  /**
   * When the tokens were issued, epoch milliseconds. Unknown, the access token's lifetime is
   * unknown too, and it is renewed `refreshBefore` ahead of `expiresAt`.
   * @default undefined
   */
  issuedAt?: number | undefined
}

/** An RFC 6749 §5.1 token response, which `TokenSet.parse` also reads. Durations in seconds. */
export interface TokenResponse {
  access_token: string
  token_type?: string | undefined
  /** Seconds from now. */
  expires_in?: number | string | undefined
  refresh_token?: string | undefined
  /** Seconds from now (not in RFC 6749, but common: Keycloak, `@baton/express`). */
  refresh_expires_in?: number | string | undefined
  scope?: string | undefined
}

/** What `toJSON()` returns. */
export interface TokenSetJSON {
  accessToken: string
  tokenType: 'Bearer'
  expiresAt?: number
  refreshToken?: string
  refreshExpiresAt?: number
  scope?: string
  issuedAt?: number
}

/** Anything `TokenSet.parse` accepts without a JSON string round trip. */
export type TokenSetLike = TokenSet | TokenSetInit | TokenResponse

export interface ParseOptions {
  /** The clock that relative `expires_in` / `refresh_expires_in` count from, epoch ms. @default Date.now */
  now?: (() => number) | undefined
}

/**
 * Epoch milliseconds before 1973-03-03. A time below it is almost surely epoch *seconds* (as
 * openid-client's `expires_at` is), which would make every token look long expired.
 */
const MIN_EPOCH_MS = 1e11

const inspectCustom = Symbol.for('nodejs.util.inspect.custom')

const VSCHARS = /^[\x20-\x7e]+$/

/**
 * The longest token or scope accepted, in characters. `@baton/express` refuses tokens over 8192;
 * four times that leaves room for other servers' large JWTs, while a 300 MB "token" (which a
 * hostile or broken server once got kept, at 2.2 GB of memory) is refused as a bad answer.
 */
export const MAX_FIELD_LENGTH = 32_768

export class TokenSet {
  readonly #accessToken: string
  readonly #refreshToken: string | undefined
  readonly tokenType = 'Bearer' as const
  readonly expiresAt: number | undefined
  readonly refreshExpiresAt: number | undefined
  readonly scope: string | undefined
  /** Epoch milliseconds; `undefined` when the tokens were handed over without it. */
  readonly issuedAt: number | undefined

  /** @throws TypeError naming the field (never its value) when a field is malformed. */
  constructor(init: TokenSetInit) {
    const where = 'TokenSet'
    if (!isRecord(init)) throw new TypeError(`${where}: expected an object`)
    this.#accessToken = requiredString(init.accessToken, 'accessToken', where)
    // RFC 6749 §A.12: access-token = 1*VSCHAR. Anything else cannot go into a header, and the
    // platform's error for a bad header value would quote it: refused here, unquoted.
    if (!VSCHARS.test(this.#accessToken)) {
      throw new TypeError(`${where}: accessToken must be printable ASCII (RFC 6749 §A.12)`)
    }
    this.#refreshToken = optionalString(init.refreshToken, 'refreshToken', where)
    if (!isAbsent(init.tokenType) && String(init.tokenType).toLowerCase() !== 'bearer') {
      throw new TypeError(`${where}: tokenType must be "Bearer"`)
    }
    this.expiresAt = optionalTime(init.expiresAt, 'expiresAt', where)
    this.refreshExpiresAt = optionalTime(init.refreshExpiresAt, 'refreshExpiresAt', where)
    this.scope = optionalString(init.scope, 'scope', where)
    this.issuedAt = optionalTime(init.issuedAt, 'issuedAt', where)
  }

  get accessToken(): string {
    return this.#accessToken
  }

  get refreshToken(): string | undefined {
    return this.#refreshToken
  }

  /**
   * Reads a `TokenSet`, its camelCase JSON (as a string or an object), or an RFC 6749 token
   * response in snake_case. Empty strings count as absent. When both spellings of a field are
   * present the camelCase one wins.
   *
   * @throws TypeError with a message that names the bad field but never shows a value.
   */
  static parse(input: unknown, options: ParseOptions = {}): TokenSet {
    if (input instanceof TokenSet) return input
    const where = 'TokenSet.parse'
    let value = input
    if (typeof input === 'string') {
      try {
        value = JSON.parse(input)
      } catch {
        // JSON.parse's own message quotes the input, which may be a token: say it plainly.
        throw new TypeError(`${where}: the input is not valid JSON`)
      }
    }
    if (!isRecord(value) || Array.isArray(value)) {
      throw new TypeError(`${where}: expected an object with an accessToken or access_token`)
    }
    // Data first: a method of the same name (openid-client's `expiresIn()`) is not a value.
    const field = (name: string): unknown =>
      typeof value[name] === 'function' ? undefined : value[name]
    const pick = (camel: string, snake: string): unknown =>
      isAbsent(field(camel)) ? field(snake) : field(camel)

    const accessToken = requiredString(pick('accessToken', 'access_token'), 'accessToken', where)
    const expiresIn = pick('expiresIn', 'expires_in')
    const refreshIn = pick('refreshExpiresIn', 'refresh_expires_in')
    const given = optionalTime(pick('issuedAt', 'issued_at'), 'issuedAt', where)
    // A token response (or relative lifetimes) was issued just now; a restored set whose
    // `issuedAt` is missing is of unknown age, and stays so.
    const fresh = !isAbsent(field('access_token')) || !isAbsent(expiresIn) || !isAbsent(refreshIn)
    const issuedAt = given ?? (fresh ? (options.now ?? Date.now)() : undefined)
    const start = issuedAt ?? (options.now ?? Date.now)()
    // `expires_in: 0` is no lifetime a server means (its token would be dead on arrival, and the
    // client would refresh before every request): taken as "not known", like Keycloak's 0 below.
    const expiresAt =
      optionalTime(field('expiresAt'), 'expiresAt', where) ??
      after(
        start,
        expiresIn === 0 || expiresIn === '0' ? undefined : expiresIn,
        'expires_in',
        where,
      )
    // Keycloak answers `refresh_expires_in: 0` for a refresh token with no set end (an offline
    // token): not known to expire, so the server decides when it is refused.
    const refreshExpiresAt =
      optionalTime(field('refreshExpiresAt'), 'refreshExpiresAt', where) ??
      after(
        start,
        refreshIn === 0 || refreshIn === '0' ? undefined : refreshIn,
        'refresh_expires_in',
        where,
      )
    return new TokenSet({
      accessToken,
      tokenType: optionalString(pick('tokenType', 'token_type'), 'tokenType', where),
      expiresAt,
      refreshToken: optionalString(pick('refreshToken', 'refresh_token'), 'refreshToken', where),
      refreshExpiresAt,
      scope: optionalString(field('scope'), 'scope', where),
      issuedAt,
    })
  }

  toJSON(): TokenSetJSON {
    const json: TokenSetJSON = { accessToken: this.#accessToken, tokenType: this.tokenType }
    if (this.issuedAt !== undefined) json.issuedAt = this.issuedAt
    if (this.expiresAt !== undefined) json.expiresAt = this.expiresAt
    if (this.#refreshToken !== undefined) json.refreshToken = this.#refreshToken
    if (this.refreshExpiresAt !== undefined) json.refreshExpiresAt = this.refreshExpiresAt
    if (this.scope !== undefined) json.scope = this.scope
    return json
  }

  /** Node's `util.inspect` (and so `console.log`) shows the set with its tokens blanked out. */
  [inspectCustom](
    _depth: number,
    options: object,
    inspect: (value: unknown, options: object) => string,
  ): string {
    const { refreshToken, ...rest } = this.toJSON()
    const shown = {
      ...rest,
      accessToken: '[redacted]',
      ...(refreshToken === undefined ? {} : { refreshToken: '[redacted]' }),
    }
    return `TokenSet ${inspect(shown, options)}`
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function isAbsent(value: unknown): value is undefined | null | '' {
  return value === undefined || value === null || value === ''
}

function requiredString(value: unknown, name: string, where: string): string {
  if (isAbsent(value)) throw new TypeError(`${where}: ${name} is missing`)
  if (typeof value !== 'string') throw new TypeError(`${where}: ${name} must be a string`)
  if (value.length > MAX_FIELD_LENGTH) {
    throw new TypeError(`${where}: ${name} is longer than ${MAX_FIELD_LENGTH} characters`)
  }
  return value
}

function optionalString(value: unknown, name: string, where: string): string | undefined {
  return isAbsent(value) ? undefined : requiredString(value, name, where)
}

function optionalTime(value: unknown, name: string, where: string): number | undefined {
  if (isAbsent(value)) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < MIN_EPOCH_MS) {
    throw new TypeError(`${where}: ${name} must be a time in epoch milliseconds`)
  }
  return value
}

/** `start` plus a relative lifetime in seconds (a number, or a string of digits). */
function after(start: number, seconds: unknown, name: string, where: string): number | undefined {
  if (isAbsent(seconds)) return undefined
  const parsed = typeof seconds === 'string' && /^\d+$/.test(seconds) ? Number(seconds) : seconds
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
    throw new TypeError(`${where}: ${name} must be a number of seconds`)
  }
  return start + parsed * 1000
}
