/**
 * One call of `api.fetch(input, init)`, read the way fetch itself reads it — without building a
 * `Request`, which would consume the body of a `Request` input — and replayed attempt by attempt
 * with the bearer token of the moment.
 */
import type { TokenSet } from './token-set.js'

export interface OutgoingRequest {
  /** The serialized origin the call goes to, as `new URL(…).origin` gives it. */
  readonly origin: string
  readonly href: string
  /** Upper-cased, for comparison only; what is sent is the caller's spelling. */
  readonly method: string
  readonly signal: AbortSignal | undefined
  /** Whether the caller set `Authorization` itself. */
  readonly hasAuthorization: boolean
  /** Whether the body can be sent again: absent, or anything but a stream. */
  readonly replayableBody: boolean
  /**
   * The arguments for the underlying fetch, as they were when the call was made, with
   * `Authorization: Bearer …` when `tokens` is set. With `replay`, a `Request` input is cloned
   * so that it can be sent again.
   */
  attempt(
    tokens: TokenSet | null,
    replay: boolean,
  ): [string | URL | Request, RequestInit | undefined]
}

interface Target {
  readonly origin: string
  readonly href: string
}

/** How many distinct URL strings `UrlReader` remembers, and how long each may be. */
const MEMO_ENTRIES = 128
const MEMO_MAX_LENGTH = 1024

/**
 * Resolves call URLs as fetch does, remembering the answers for a few recent URL strings: a
 * client calls the same few endpoints over and over, and the same string against the same base
 * always resolves the same way. The memo is emptied when the base changes (a page's history
 * navigation) or when it is full, so it stays small.
 */
export class UrlReader {
  #base: string | undefined
  readonly #memo = new Map<string, Target>()

  /** The call's target, or undefined when its URL cannot be resolved. */
  read(input: string | URL): Target | undefined {
    if (input instanceof URL) return { origin: input.origin, href: input.href }
    const base = documentBase()
    if (base !== this.#base) {
      this.#memo.clear()
      this.#base = base
    }
    // Not a URL of this realm: the URL constructor reads it as fetch does (through its string).
    const key = typeof input === 'string' && input.length <= MEMO_MAX_LENGTH ? input : undefined
    const known = key === undefined ? undefined : this.#memo.get(key)
    if (known !== undefined) return known
    let url: URL
    try {
      url = new URL(input, base)
    } catch {
      return undefined
    }
    const target = { origin: url.origin, href: url.href }
    if (key !== undefined) {
      if (this.#memo.size >= MEMO_ENTRIES) this.#memo.clear()
      this.#memo.set(key, target)
    }
    return target
  }
}

/**
 * Reads a call; `undefined` when its URL cannot be resolved (the underlying fetch will then
 * reject it with its own error).
 */
export function describeRequest(
  urls: UrlReader,
  input: string | URL | Request,
  init: RequestInit | undefined,
): OutgoingRequest | undefined {
  const request = isRequest(input) ? input : undefined
  const where = urls.read(request ? request.url : (input as string | URL))
  if (where === undefined) return undefined
  // A `headers` in init replaces the Request's headers entirely, as in fetch. A snapshot, taken
  // now as fetch takes it: what the caller changes later is not sent by a later attempt.
  const source = init?.headers ?? request?.headers
  const snapshot = source === undefined ? undefined : new Headers(source)
  // The rest of init, taken now too: an attempt may go out after a wait or a second time, and
  // by then the caller may have reused the object (or its URL, or its body) for another call.
  const taken = init === undefined ? undefined : takeInit(init)
  const initBody = init?.body
  return {
    origin: where.origin,
    href: where.href,
    method: (init?.method ?? request?.method ?? 'GET').toUpperCase(),
    signal: init?.signal ?? request?.signal ?? undefined,
    hasAuthorization: snapshot?.has('authorization') ?? false,
    // A stream (or async iterable) given in init can be read only once. A Request's own body is
    // a stream too, but `clone()` tees it, so a Request can always be replayed from a clone.
    replayableBody: initBody == null || !isStream(initBody),
    attempt: (tokens, replay) => {
      // The URL as resolved when the call was made, never the caller's URL object read again.
      // A Request is cloned only for its body, the one part that sending uses up: one without
      // (any GET) goes as it is, every time, its headers replaced by init's. A clone would cost
      // as much again as undici's own copy of the Request (bench/README.md, "@baton/fetch").
      const target = request
        ? replay && request.body !== null
          ? request.clone()
          : request
        : where.href
      // Objects of its own for each attempt: an underlying fetch may keep or edit what it gets.
      if (snapshot === undefined) {
        if (tokens === null) return [target, taken && { ...taken }]
        return [target, { ...taken, headers: new Headers(bearer(tokens)) }]
      }
      const sent = new Headers(snapshot)
      if (tokens !== null) sent.set('authorization', bearer(tokens).get('authorization') as string)
      return [target, { ...taken, headers: sent }]
    },
  }
}

/**
 * `Authorization: Bearer <access token>` for a token set, as a `Headers` built once. Each request
 * gets a copy: copying a `Headers` (here, and again in the underlying fetch when it is the
 * platform's) skips the character-by-character check a plain object's values go through, which
 * for a long token is most of what carrying it costs (bench/, case 4).
 */
const bearerHeaders = new WeakMap<TokenSet, Headers>()

function bearer(tokens: TokenSet): Headers {
  let headers = bearerHeaders.get(tokens)
  if (headers === undefined) {
    headers = new Headers({ authorization: `Bearer ${tokens.accessToken}` })
    bearerHeaders.set(tokens, headers)
  }
  return headers
}

/** `init` as fetch reads it when called: a shallow copy, with a copy of a body that can change. */
function takeInit(init: RequestInit): RequestInit {
  const taken = { ...init }
  if (init.body != null) taken.body = copyBody(init.body)
  return taken
}

/**
 * What fetch takes of a body when it is called: the bytes of a buffer, the entries of a form,
 * the pairs of a `URLSearchParams`. Strings and Blobs cannot change; a stream is read once, as
 * it is.
 */
function copyBody(body: BodyInit): BodyInit {
  if (body instanceof URLSearchParams) return new URLSearchParams(body)
  if (body instanceof FormData) {
    const copy = new FormData()
    for (const [name, value] of body) copy.append(name, value)
    return copy
  }
  if (body instanceof ArrayBuffer) return body.slice(0)
  if (ArrayBuffer.isView(body)) {
    return new Uint8Array(body.buffer, body.byteOffset, body.byteLength).slice()
  }
  return body
}

/** A response nobody will read: cancel its body so the connection is released at once. */
export function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined)
}

/** The base URL fetch resolves a relative URL against: the document's, else the worker's. */
export function documentBase(): string | undefined {
  if (typeof document !== 'undefined') return document.baseURI
  if (typeof location !== 'undefined') return location.href
  return undefined
}

function isRequest(input: unknown): input is Request {
  // The common call, a string URL, without a look at the global \`Request\`.
  if (typeof input === 'string') return false
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
