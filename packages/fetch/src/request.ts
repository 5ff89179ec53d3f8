/**
 * One call of `api.fetch(input, init)`, read the way fetch itself reads it — without building a
 * `Request`, which would consume the body of a `Request` input — and replayed attempt by attempt
 * with the bearer token of the moment.
 */
import type { TokenSet } from './token-set.js'

/** The signature of the global `fetch`. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

export interface OutgoingRequest {
  readonly url: URL
  /** Upper-cased, for comparison only; what is sent is the caller's spelling. */
  readonly method: string
  readonly signal: AbortSignal | undefined
  /** Whether the caller set `Authorization` itself. */
  readonly hasAuthorization: boolean
  /** Whether the body can be sent again: absent, or anything but a stream. */
  readonly replayableBody: boolean
  /**
   * The arguments for the underlying fetch, with `Authorization: Bearer …` when `tokens` is set.
   * With `replay`, a `Request` input is cloned so that it can be sent again.
   */
  attempt(tokens: TokenSet | null, replay: boolean): [string | URL | Request, RequestInit]
}

/**
 * Reads a call; `undefined` when its URL cannot be resolved (the underlying fetch will then
 * reject it with its own error).
 */
export function describeRequest(
  input: string | URL | Request,
  init: RequestInit | undefined,
): OutgoingRequest | undefined {
  const request = isRequest(input) ? input : undefined
  let url: URL
  try {
    // Not a Request, so a string or a URL (which the URL constructor reads as fetch does).
    url = new URL(request ? request.url : (input as string | URL), documentBase())
  } catch {
    return undefined
  }
  // A `headers` in init replaces the Request's headers entirely, as in fetch.
  const headers = new Headers(init?.headers ?? request?.headers)
  const initBody = init?.body
  return {
    url,
    method: (init?.method ?? request?.method ?? 'GET').toUpperCase(),
    signal: init?.signal ?? request?.signal ?? undefined,
    hasAuthorization: headers.has('authorization'),
    // A stream (or async iterable) given in init can be read only once. A Request's own body is
    // a stream too, but `clone()` tees it, so a Request can always be replayed from a clone.
    replayableBody: initBody == null || !isStream(initBody),
    attempt: (tokens, replay) => {
      const sent = new Headers(headers)
      if (tokens !== null) sent.set('authorization', `Bearer ${tokens.accessToken}`)
      const target = request ? (replay ? request.clone() : request) : input
      return [target, { ...init, headers: sent }]
    },
  }
}

/** The base URL fetch resolves a relative URL against: the document's, else the worker's. */
export function documentBase(): string | undefined {
  if (typeof document !== 'undefined') return document.baseURI
  if (typeof location !== 'undefined') return location.href
  return undefined
}

function isRequest(input: unknown): input is Request {
  if (input instanceof Request) return true
  // A Request from another realm or another fetch implementation (undici's own export).
  return (
    typeof input === 'object' &&
    input !== null &&
    !(input instanceof URL) &&
    typeof (input as { url?: unknown }).url === 'string' &&
    typeof (input as { clone?: unknown }).clone === 'function'
  )
}

function isStream(body: unknown): boolean {
  if (body instanceof ReadableStream) return true
  // Node's fetch also takes async iterables as bodies; they can be iterated once.
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body
}
