/**
 * Reading the endpoints' bodies: fields by name with their limits, and body-parser's and
 * Express's client-side failures turned into our 4xx errors with stable codes.
 */
import type { Request } from 'express'
import { AuthError, type AuthErrorCode, InvalidRequestError } from './errors.js'

export type Body = Record<string, unknown>

/** The parsed body as an object: `{}` when there was none (or a type we do not parse). */
export function readBody(req: Request): Body {
  const body: unknown = req.body
  if (body === undefined) return {}
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object or a form')
  }
  return body as Body
}

export function field(
  body: Body,
  name: string,
  maxLength: number,
  options = { trim: true },
): string {
  const value = Object.hasOwn(body, name) ? body[name] : undefined
  if (value === undefined) throw new InvalidRequestError(`${name} is required`)
  if (typeof value !== 'string') throw new InvalidRequestError(`${name} must be a string`)
  const text = options.trim ? value.trim() : value
  if (text.length === 0) throw new InvalidRequestError(`${name} must not be empty`)
  if (text.length > maxLength) throw new InvalidRequestError(`${name} is too long`)
  return text
}

/** An optional field: undefined when absent or blank (RFC 6749 treats an empty parameter as omitted). */
export function optionalField(body: Body, name: string, maxLength: number): string | undefined {
  const value = Object.hasOwn(body, name) ? body[name] : undefined
  if (value === undefined || (typeof value === 'string' && value.trim() === '')) return undefined
  return field(body, name, maxLength)
}

/** A client-side failure Express or body-parser reported, in our shape; undefined for anything else. */
export function requestError(error: unknown): AuthError | undefined {
  return fromBodyParser(error) ?? fromDecompression(error) ?? fromPathDecoding(error)
}

/**
 * A body whose `Content-Encoding` (gzip, deflate, br) does not decode: body-parser passes zlib's
 * error on as a 400 with zlib's `code` and `errno`, and no `type` of its own.
 */
function fromDecompression(error: unknown): AuthError | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { status, code, errno } = error as { status?: unknown; code?: unknown; errno?: unknown }
  return status === 400 && typeof code === 'string' && typeof errno === 'number'
    ? new InvalidRequestError('The request body could not be decompressed')
    : undefined
}

/**
 * Express answers a `:sid` that is not valid percent-encoding with a URIError of status 400, which
 * the default handler would render as an HTML stack trace outside production: give it our shape.
 */
function fromPathDecoding(error: unknown): AuthError | undefined {
  return error instanceof URIError && (error as { status?: unknown }).status === 400
    ? new InvalidRequestError('The request path is not valid percent-encoding')
    : undefined
}

/**
 * body-parser's client-side failures, by their `type`, in our shape with a stable code. Other
 * types (a stream the app already consumed, say) are server bugs: they go on to the app as 500s.
 */
const BODY_PARSER_ERRORS = new Map<string, readonly [number, AuthErrorCode, string]>([
  ['entity.parse.failed', [400, 'ERR_INVALID_REQUEST', 'The request body could not be parsed']],
  ['entity.verify.failed', [400, 'ERR_INVALID_REQUEST', 'The request body could not be parsed']],
  ['request.aborted', [400, 'ERR_INVALID_REQUEST', 'The request body was cut short']],
  [
    'request.size.invalid',
    [400, 'ERR_INVALID_REQUEST', 'The request body does not match its length'],
  ],
  ['entity.too.large', [413, 'ERR_BODY_TOO_LARGE', 'The request body is too large']],
  ['parameters.too.many', [413, 'ERR_BODY_TOO_LARGE', 'The request body is too large']],
  [
    'charset.unsupported',
    [415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'The request body encoding is not supported'],
  ],
  [
    'encoding.unsupported',
    [415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'The request body encoding is not supported'],
  ],
])

function fromBodyParser(error: unknown): AuthError | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { type } = error as { type?: unknown }
  const known = typeof type === 'string' ? BODY_PARSER_ERRORS.get(type) : undefined
  if (known === undefined) return undefined
  const [status, code, description] = known
  return new AuthError(status, 'invalid_request', code, description)
}
