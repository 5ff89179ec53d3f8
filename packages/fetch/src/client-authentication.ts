/**
 * How this client authenticates itself to the token endpoint (RFC 6749 §2.3.1), for servers that
 * require it of the refresh grant and the revocation (RFC 7009 §2.1). One row per method: what it
 * adds to the request's headers and to its form fields.
 */
import type { ClientAuthentication } from './options.js'

export interface ResolvedClientAuthentication {
  readonly method: ClientAuthentication['method'] & string
  readonly clientId: string
  readonly clientSecret: string
}

/** What a method adds to a token endpoint request. */
interface Credentials {
  readonly headers: Readonly<Record<string, string>>
  readonly fields: Readonly<Record<string, string>>
}

const METHODS = {
  // RFC 6749 §2.3.1: each part form-urlencoded first, then `id:secret` in base64.
  client_secret_basic: ({ clientId, clientSecret }): Credentials => ({
    headers: {
      authorization: `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`,
    },
    fields: {},
  }),
  client_secret_post: ({ clientId, clientSecret }): Credentials => ({
    headers: {},
    fields: { client_id: clientId, client_secret: clientSecret },
  }),
} as const satisfies Record<string, (client: ResolvedClientAuthentication) => Credentials>

export type ClientAuthenticationMethod = keyof typeof METHODS

export const CLIENT_AUTHENTICATION_METHODS = Object.keys(METHODS) as ClientAuthenticationMethod[]

/** The headers and fields that authenticate the client; none without client authentication. */
export function clientCredentials(client: ResolvedClientAuthentication | undefined): Credentials {
  return client === undefined ? { headers: {}, fields: {} } : METHODS[client.method](client)
}

/** `application/x-www-form-urlencoded` of one value (RFC 6749 Appendix B): space as `+`. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2)
}
