import {
  createHash,
  createSecretKey,
  hkdfSync,
  randomBytes,
  scryptSync,
  type KeyObject,
} from 'node:crypto'

/** The HMAC algorithms tokens may be signed with. Asymmetric keys are not offered (yet). */
export type Algorithm = 'HS256' | 'HS384' | 'HS512'

export const ALGORITHMS: readonly Algorithm[] = ['HS256', 'HS384', 'HS512']

/** RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. */
const MIN_KEY_BYTES: Record<Algorithm, number> = { HS256: 32, HS384: 48, HS512: 64 }

/** One secret, base64 or base64url of random bytes; the decoded bytes are the HMAC key. */
export interface SecretKeyOptions {
  secret: string | Uint8Array
}

/** A passphrase stretched with scrypt and a fixed, app-specific salt. */
export interface PassphraseKeyOptions {
  passphrase: string
  salt: string
}

/** One key of a keyring: the first key signs, every key verifies, so keys can rotate. */
export interface KeyringEntry {
  /** The `kid` header of tokens signed with this key. 1–64 of `A-Z a-z 0-9 . _ -`. */
  kid: string
  secret: string | Uint8Array
  /** @default the `algorithm` option */
  algorithm?: Algorithm
}

export type KeysOption = SecretKeyOptions | PassphraseKeyOptions | readonly KeyringEntry[]

/** A ready key: what signs and verifies access tokens, and what MACs refresh tokens. */
export interface ResolvedKey {
  kid: string
  algorithm: Algorithm
  /** Always a KeyObject: jsonwebtoken would otherwise try to parse a string key as PEM first. */
  key: KeyObject
  /** A separate key for refresh-token MACs, derived with HKDF so the two uses never share a key. */
  refreshKey: Buffer
}

export interface Keyring {
  /** The key that signs. */
  signing: ResolvedKey
  /** Every key, by `kid`; a Map so a hostile `kid` like `__proto__` indexes nothing. */
  byKid: Map<string, ResolvedKey>
  /** Whether the key was generated at start-up (tokens die on restart). */
  ephemeral: boolean
}

const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2})$/

// scrypt cost: N = 2^15, r = 8 (OWASP's minimum) — ~100 ms, once, at start-up.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }
const MIN_PASSPHRASE_LENGTH = 16
const MIN_SALT_LENGTH = 8

/** Builds the keyring from the `keys` option; every failure names the option at fault. */
export function resolveKeys(keys: KeysOption | undefined, algorithm: Algorithm): Keyring {
  if (keys === undefined) {
    const bytes = randomBytes(MIN_KEY_BYTES[algorithm])
    return { ...ring([makeKey(fingerprint(bytes), algorithm, bytes)]), ephemeral: true }
  }
  if (Array.isArray(keys)) return { ...ring(keyringEntries(keys, algorithm)), ephemeral: false }
  if (typeof keys !== 'object' || keys === null) {
    throw new TypeError(
      'keys must be { secret }, { passphrase, salt } or an array of { kid, secret }',
    )
  }
  if ('secret' in keys) {
    const bytes = decodeSecret(keys.secret, algorithm, 'keys.secret')
    return { ...ring([makeKey(fingerprint(bytes), algorithm, bytes)]), ephemeral: false }
  }
  if ('passphrase' in keys) {
    const bytes = derivePassphrase(keys, algorithm)
    return { ...ring([makeKey(fingerprint(bytes), algorithm, bytes)]), ephemeral: false }
  }
  throw new TypeError(
    'keys must be { secret }, { passphrase, salt } or an array of { kid, secret }',
  )
}

function keyringEntries(entries: readonly KeyringEntry[], fallback: Algorithm): ResolvedKey[] {
  if (entries.length === 0) throw new TypeError('keys must not be an empty keyring')
  const seen = new Set<string>()
  return entries.map((entry, index) => {
    const where = `keys[${index}]`
    if (typeof entry !== 'object' || entry === null) {
      throw new TypeError(`${where} must be an object { kid, secret, algorithm? }`)
    }
    if (typeof entry.kid !== 'string' || !KID_PATTERN.test(entry.kid)) {
      throw new TypeError(`${where}.kid must be 1–64 characters of A-Z a-z 0-9 . _ -`)
    }
    if (seen.has(entry.kid)) throw new TypeError(`${where}.kid repeats a kid used earlier`)
    seen.add(entry.kid)
    const algorithm = entry.algorithm ?? fallback
    if (!ALGORITHMS.includes(algorithm)) {
      throw new TypeError(`${where}.algorithm must be one of ${ALGORITHMS.join(', ')}`)
    }
    return makeKey(entry.kid, algorithm, decodeSecret(entry.secret, algorithm, `${where}.secret`))
  })
}

function decodeSecret(secret: unknown, algorithm: Algorithm, name: string): Buffer {
  let bytes: Buffer
  if (secret instanceof Uint8Array) {
    bytes = Buffer.from(secret)
  } else if (typeof secret === 'string' && BASE64_PATTERN.test(secret.trim())) {
    bytes = Buffer.from(
      secret.trim(),
      secret.includes('-') || secret.includes('_') ? 'base64url' : 'base64',
    )
  } else {
    throw new TypeError(`${name} must be a base64 or base64url string (or a Uint8Array)`)
  }
  const min = MIN_KEY_BYTES[algorithm]
  if (bytes.length < min) {
    throw new TypeError(`${name} is too weak: ${algorithm} needs at least ${min} random bytes`)
  }
  return bytes
}

function derivePassphrase(options: PassphraseKeyOptions, algorithm: Algorithm): Buffer {
  const { passphrase, salt } = options
  if (typeof passphrase !== 'string' || passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new TypeError(
      `keys.passphrase must be a string of at least ${MIN_PASSPHRASE_LENGTH} characters`,
    )
  }
  if (typeof salt !== 'string' || salt.length < MIN_SALT_LENGTH) {
    throw new TypeError(`keys.salt must be a string of at least ${MIN_SALT_LENGTH} characters`)
  }
  return scryptSync(passphrase, salt, MIN_KEY_BYTES[algorithm], SCRYPT)
}

function makeKey(kid: string, algorithm: Algorithm, bytes: Buffer): ResolvedKey {
  const refreshKey = Buffer.from(hkdfSync('sha256', bytes, '', 'baton refresh token', 32))
  return { kid, algorithm, key: createSecretKey(bytes), refreshKey }
}

/** A stable, non-reversible `kid` for a single secret: the first 96 bits of a tagged SHA-256. */
function fingerprint(bytes: Buffer): string {
  return createHash('sha256')
    .update('baton kid\0')
    .update(bytes)
    .digest()
    .subarray(0, 12)
    .toString('base64url')
}

function ring(keys: ResolvedKey[]): Omit<Keyring, 'ephemeral'> {
  return { signing: keys[0] as ResolvedKey, byKid: new Map(keys.map((key) => [key.kid, key])) }
}
