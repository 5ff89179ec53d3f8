/**
 * The one grammar of scopes (RFC 6749 §3.3): `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`,
 * space-delimited in a `scope` string (RFC 9068 carries it as such a string claim).
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value)
}

/** Whether `value` is a well-formed scope string: tokens separated by single spaces. */
export function isScopeString(value: unknown): value is string {
  return typeof value === 'string' && value.split(' ').every(isScopeToken)
}

/** A `scope` claim as a list; lenient on repeated spaces, as verification has always been. */
export function splitScope(scope: string | undefined): string[] {
  return scope === undefined ? [] : scope.split(' ').filter((item) => item.length > 0)
}
