/**
 * `auth.wellKnown()`: the documents a client or resource server finds at the origin root — the
 * JWKS (RFC 7517) of the public keys, and the RFC 8414 authorization server metadata — while
 * `auth.router()` is mounted under a path such as `/auth`. Mount this one at `/`.
 */
import express, { type Router } from 'express'
import { ALGORITHM_NAMES } from './algorithms.js'
import type { ResolvedOptions } from './options.js'

export interface WellKnownOptions {
  /**
   * The path `auth.router()` is mounted at, from the origin: the endpoints the metadata lists
   * are under it.
   * @default '/auth'
   */
  routerPath?: string
}

/**
 * How long verifiers may cache the JWKS, seconds. It bounds a rotation's first step: publish the
 * next key, wait at least this long, then sign with it (verifiers that refetch on an unknown
 * `kid`, as jwks-rsa and jose do, need no wait at all).
 */
export const JWKS_MAX_AGE = 300
/** The metadata changes only with a deploy. */
const METADATA_MAX_AGE = 3600
const PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/

type Config = Pick<ResolvedOptions, 'issuer' | 'keyring' | 'introspection'>

/** The router of the well-known documents; a bad option or a non-URL issuer throws a TypeError. */
export function createWellKnownRouter(config: Config, options: WellKnownOptions = {}): Router {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'auth.wellKnown: options must be an object, such as { routerPath: "/auth" }',
    )
  }
  const unknown = Object.keys(options).find((key) => key !== 'routerPath')
  if (unknown !== undefined) {
    throw new TypeError(`auth.wellKnown: unknown option ${JSON.stringify(unknown)}`)
  }
  const routerPath = (options.routerPath ?? '/auth').replace(/\/+$/, '')
  if (routerPath !== '' && !PATH.test(routerPath)) {
    throw new TypeError('auth.wellKnown: routerPath must be an absolute path, such as "/auth"')
  }
  const issuer = issuerUrl(config.issuer)
  const endpoint = (name: string) => `${issuer.origin}${routerPath}/${name}`
  const jwks = {
    keys: [...config.keyring.byKid.values()].flatMap(({ jwk }) => (jwk === undefined ? [] : [jwk])),
  }
  const asymmetric = jwks.keys.length > 0
  const algorithms = [...new Set([...config.keyring.byKid.values()].map((key) => key.algorithm))]

  const metadata: Record<string, unknown> = {
    issuer: config.issuer,
    token_endpoint: endpoint('refresh'),
    token_endpoint_auth_methods_supported: ['none'],
    grant_types_supported: ['refresh_token'],
    // RFC 8414 §2 requires the member; there is no authorization endpoint, so no response type.
    response_types_supported: [],
    revocation_endpoint: endpoint('revoke'),
    revocation_endpoint_auth_methods_supported: ['none'],
    // Not registered by RFC 8414: the algorithms of our access tokens (RFC 9068), for verifiers.
    access_token_signing_alg_values_supported: algorithms.sort(
      (a, b) => ALGORITHM_NAMES.indexOf(a) - ALGORITHM_NAMES.indexOf(b),
    ),
  }
  if (asymmetric) metadata.jwks_uri = `${issuer.origin}/.well-known/jwks.json`
  if (config.introspection !== undefined) {
    metadata.introspection_endpoint = endpoint('introspect')
    if (config.introspection.hasClients) {
      metadata.introspection_endpoint_auth_methods_supported = [
        'client_secret_basic',
        'client_secret_post',
      ]
    }
  }

  const router = express.Router()
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', `public, max-age=${JWKS_MAX_AGE}`).json(jwks)
  })
  // RFC 8414 §3.1: the well-known suffix goes between the origin and the issuer's path.
  const issuerPath = issuer.pathname === '/' ? '' : issuer.pathname.replace(/\/+$/, '')
  router.get(`/.well-known/oauth-authorization-server${issuerPath}`, (_req, res) => {
    res.set('Cache-Control', `public, max-age=${METADATA_MAX_AGE}`).json(metadata)
  })
  return router
}

/** RFC 8414 §2: the issuer is an https URL without query or fragment (http only on loopback). */
function issuerUrl(issuer: string): URL {
  const fail = () =>
    new TypeError(
      'auth.wellKnown: issuer must be an https URL without query or fragment (http only for localhost)',
    )
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    throw fail()
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  const scheme = url.protocol === 'https:' || (url.protocol === 'http:' && loopback)
  if (!scheme || url.search !== '' || url.hash !== '' || issuer.includes('#')) throw fail()
  return url
}
