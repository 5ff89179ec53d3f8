/**
 * The signing algorithms, as a table: each row says which family an algorithm belongs to and what
 * a key of it needs. Resolving keys (`keys.ts`) and verifying tokens (`access-token.ts`) read the
 * table, so another algorithm is a row here plus, for a new family, one entry in `FAMILIES` of
 * `keys.ts` — not branches spread over files (the shape of jose's `jws_algorithms`).
 */

/** The algorithms access tokens may be signed with. */
export type Algorithm = 'HS256' | 'HS384' | 'HS512'

/** How keys of an algorithm are made and used. */
export type AlgorithmFamily = 'hmac'

export interface AlgorithmSpec {
  family: AlgorithmFamily
  /** RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. */
  minKeyBytes: number
}

export const ALGORITHMS: Readonly<Record<Algorithm, AlgorithmSpec>> = {
  HS256: { family: 'hmac', minKeyBytes: 32 },
  HS384: { family: 'hmac', minKeyBytes: 48 },
  HS512: { family: 'hmac', minKeyBytes: 64 },
}

export const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as readonly Algorithm[]

export function isAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && Object.hasOwn(ALGORITHMS, value)
}
