/**
 * The signing algorithms, as a table: each row says which family an algorithm belongs to and what
 * a key of it needs. Resolving keys (`keys.ts`), publishing them (`jwks.ts`) and verifying tokens
 * (`access-token.ts`, `verifier.ts`) read the table, so another algorithm is a row here plus, for
 * a new family, one entry in `FAMILIES` of `keys.ts` — not branches spread over files (the shape
 * of jose's `jws_algorithms`).
 *
 * EdDSA is not a row: jsonwebtoken 9 cannot sign or verify it (its key-type table knows `ec`,
 * `rsa` and `rsa-pss` only), and replacing jsonwebtoken is a decision of its own.
 */
import type { KeyObject } from 'node:crypto'

/** The algorithms access tokens may be signed with. */
export type Algorithm = 'HS256' | 'HS384' | 'HS512' | 'ES256' | 'RS256' | 'PS256'

/** How keys of an algorithm are made and used. */
export type AlgorithmFamily = 'hmac' | 'ec' | 'rsa'

export type AlgorithmSpec =
  | {
      family: 'hmac'
      /** RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. */
      minKeyBytes: number
    }
  | {
      family: 'ec'
      /** The curve, as Node names it (`asymmetricKeyDetails.namedCurve`). RFC 7518 §3.4. */
      namedCurve: string
    }
  | {
      family: 'rsa'
      /** RFC 7518 §3.3 and §3.5: 2048 bits or more. */
      minModulusBits: number
    }

export const ALGORITHMS: Readonly<Record<Algorithm, AlgorithmSpec>> = {
  HS256: { family: 'hmac', minKeyBytes: 32 },
  HS384: { family: 'hmac', minKeyBytes: 48 },
  HS512: { family: 'hmac', minKeyBytes: 64 },
  ES256: { family: 'ec', namedCurve: 'prime256v1' },
  RS256: { family: 'rsa', minModulusBits: 2048 },
  PS256: { family: 'rsa', minModulusBits: 2048 },
}

export const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as readonly Algorithm[]

/** The asymmetric rows: the algorithms whose public keys may be published and handed out. */
export const ASYMMETRIC_ALGORITHMS = ALGORITHM_NAMES.filter(
  (name) => ALGORITHMS[name].family !== 'hmac',
)

/** The algorithm an asymmetric key signs with when none is named: ES256 for P-256, RS256 for RSA. */
export const DEFAULT_ASYMMETRIC: Readonly<Record<'ec' | 'rsa', Algorithm>> = {
  ec: 'ES256',
  rsa: 'RS256',
}

export function isAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && Object.hasOwn(ALGORITHMS, value)
}

/**
 * Why `key` cannot sign or verify `algorithm`, or undefined when it can: the family, the curve
 * and the modulus size come from the table. Used on our own keys at start-up and on every key a
 * JWKS serves, so a key of an unexpected type never verifies anything.
 */
export function keyMismatch(algorithm: Algorithm, key: KeyObject): string | undefined {
  const spec = ALGORITHMS[algorithm]
  switch (spec.family) {
    case 'hmac':
      return key.type === 'secret' ? undefined : `${algorithm} needs a secret key`
    case 'ec':
      return key.asymmetricKeyType === 'ec' &&
        key.asymmetricKeyDetails?.namedCurve === spec.namedCurve
        ? undefined
        : `${algorithm} needs an EC key on P-256`
    case 'rsa': {
      if (key.asymmetricKeyType !== 'rsa') return `${algorithm} needs an RSA key`
      // Node ≥ 16 reports the modulus; NaN (not reported) fails the comparison, closed.
      const bits = Number(key.asymmetricKeyDetails?.modulusLength)
      return bits >= spec.minModulusBits
        ? undefined
        : `${algorithm} needs an RSA key of at least ${spec.minModulusBits} bits`
    }
  }
}
