import type { AuthOptions } from './options.js'

/**
 * Reads `BATON_*` variables into options (unset ones are left out, so defaults apply):
 * `BATON_SECRET`, or `BATON_PASSPHRASE` + `BATON_SALT`; `BATON_REFRESH_SECRET`;
 * `BATON_ACCESS_TTL`, `BATON_REFRESH_TTL`, `BATON_MAX_SESSIONS`, `BATON_REUSE_GRACE` (seconds /
 * counts); `BATON_ISSUER`, `BATON_AUDIENCE`; `BATON_REFRESH_COOKIE` (`1` turns the cookie transport
 * on with its defaults, `0` leaves it off).
 * A variable that is set but not a number throws, naming the variable.
 */
export function authOptionsFromEnv(env: Record<string, string | undefined>): AuthOptions {
  const options: AuthOptions = {}
  const value = (name: string): string | undefined => {
    const raw = env[name]
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim()
  }
  const number = (name: string): number | undefined => {
    const raw = value(name)
    if (raw === undefined) return undefined
    const parsed = Number(raw)
    if (!Number.isFinite(parsed)) throw new TypeError(`${name} must be a number`)
    return parsed
  }
  const secret = value('BATON_SECRET')
  const passphrase = value('BATON_PASSPHRASE')
  const salt = value('BATON_SALT')
  if (secret !== undefined && passphrase !== undefined) {
    throw new TypeError('set BATON_SECRET or BATON_PASSPHRASE, not both')
  }
  if (secret !== undefined) options.keys = { secret }
  if (passphrase !== undefined || salt !== undefined) {
    if (passphrase === undefined || salt === undefined) {
      throw new TypeError('BATON_PASSPHRASE and BATON_SALT must be set together')
    }
    options.keys = { passphrase, salt }
  }
  const assign = <K extends keyof AuthOptions>(key: K, result: AuthOptions[K] | undefined) => {
    if (result !== undefined) options[key] = result
  }
  assign('accessTtl', number('BATON_ACCESS_TTL'))
  assign('refreshTtl', number('BATON_REFRESH_TTL'))
  assign('maxSessionsPerUser', number('BATON_MAX_SESSIONS'))
  assign('reuseGrace', number('BATON_REUSE_GRACE'))
  assign('refreshSecret', value('BATON_REFRESH_SECRET'))
  assign('issuer', value('BATON_ISSUER'))
  assign('audience', value('BATON_AUDIENCE'))
  const refreshCookie = value('BATON_REFRESH_COOKIE')
  if (refreshCookie !== undefined && refreshCookie !== '0' && refreshCookie !== '1') {
    throw new TypeError('BATON_REFRESH_COOKIE must be 1 or 0')
  }
  if (refreshCookie === '1') options.refreshCookie = true
  return options
}
