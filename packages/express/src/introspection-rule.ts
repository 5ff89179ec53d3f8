/**
 * Who may introspect. RFC 7662 §2.1: the endpoint must require authentication, or anyone holding
 * a token learns its subject and session. The app names its resource servers (client id and
 * secret, as HTTP Basic or form fields — RFC 6749 §2.3.1) or gives a rule of the request.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Request } from 'express'
import type { IntrospectionOptions, IntrospectionRule } from './options.js'

const MIN_CLIENT_SECRET_LENGTH = 16

export function resolveIntrospection(
  options: IntrospectionOptions | undefined,
): IntrospectionRule | undefined {
  if (options === undefined) return undefined
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError('introspection must be an object { clients?, authorize? }')
  }
  const unknown = Object.keys(options).find((key) => key !== 'clients' && key !== 'authorize')
  if (unknown !== undefined) {
    throw new TypeError(`introspection: unknown option ${JSON.stringify(unknown)}`)
  }
  const { clients, authorize } = options
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw new TypeError('introspection.authorize must be a function of the request')
  }
  const secrets = clientSecrets(clients)
  if (secrets.size === 0 && authorize === undefined) {
    throw new TypeError('introspection needs clients or authorize')
  }
  return {
    hasClients: secrets.size > 0,
    admits: async (req) => {
      const presented = presentedClient(req)
      if (presented !== undefined) {
        const expected = secrets.get(presented.id)
        // Hashes of equal length, so the comparison takes the same time whatever was sent.
        if (expected !== undefined && timingSafeEqual(expected, digest(presented.secret))) {
          return true
        }
      }
      return authorize === undefined ? false : (await authorize(req)) === true
    },
  }
}

function clientSecrets(clients: unknown): Map<string, Buffer> {
  const secrets = new Map<string, Buffer>()
  if (clients === undefined) return secrets
  if (typeof clients !== 'object' || clients === null || Array.isArray(clients)) {
    throw new TypeError('introspection.clients must be an object of client id → secret')
  }
  for (const [id, secret] of Object.entries(clients)) {
    if (id.length === 0 || id.includes(':')) {
      throw new TypeError('introspection.clients: a client id must be non-empty, without ":"')
    }
    if (typeof secret !== 'string' || secret.length < MIN_CLIENT_SECRET_LENGTH) {
      throw new TypeError(
        `introspection.clients: each secret must be a string of at least ${MIN_CLIENT_SECRET_LENGTH} characters`,
      )
    }
    secrets.set(id, digest(secret))
  }
  return secrets
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** The client credentials of a request: HTTP Basic (RFC 6749 §2.3.1 form-encodes both parts), else form fields. */
function presentedClient(req: Request): { id: string; secret: string } | undefined {
  const header = req.get('authorization')
  const basic = header === undefined ? null : /^basic +([A-Za-z0-9+/=]+)$/i.exec(header)
  if (basic !== null) {
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon === -1) return undefined
    try {
      return {
        id: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
        secret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
      }
    } catch {
      return undefined
    }
  }
  const body = req.body as Record<string, unknown> | undefined
  const id = body?.client_id
  const secret = body?.client_secret
  return typeof id === 'string' && typeof secret === 'string' ? { id, secret } : undefined
}
