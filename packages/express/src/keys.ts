/**
 * Turns the `keys` option into a keyring: the keys that sign and verify access tokens, and —
 * kept apart from them — the keys that MAC refresh tokens. What each algorithm needs comes from
 * the table in `algorithms.ts`; how a family's key is made is one entry of `FAMILIES` below.
 */
import {
  createHash,
  createSecretKey,
  hkdfSync,
  randomBytes,
  scryptSync,
  type KeyObject,
} from 'node:crypto'
import { ALGORITHMS, ALGORITHM_NAMES, isAlgorithm, type Algorithm } from './algorithms.js'

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

/** A ready access-token key. */
export interface SigningKey {
  kid: string
  algorithm: Algorithm
  /** Always a KeyObject: jsonwebtoken would otherwise try to parse a string key as PEM first. */
  key: KeyObject
}

/**
 * The refresh-token MAC keys, separate from the signing keys: `current` MACs new refresh tokens,
 * any of `all` verifies one, so a key rotation does not end sessions.
 */
export interface RefreshMacKeys {
  current: Buffer
  all: readonly Buffer[]
}

export interface Keyring {
  /** The key that signs. */
  signing: SigningKey
  /** Every key, by `kid`; a Map so a hostile `kid` like `__proto__` indexes nothing. */
  byKid: Map<string, SigningKey>
  refresh: RefreshMacKeys
  /** Whether the key was generated at start-up (tokens die on restart). */
  ephemeral: boolean
}

/** A key as resolved from the option, before the ring is assembled. */
interface ResolvedEntry {
  signing: SigningKey
  refreshMac: Buffer
}

/** What each family of the algorithm table needs to turn secret bytes into keys. */
const FAMILIES = {
  hmac: {
    /** The decoded bytes are the HMAC key itself, so any JWT library can verify given them. */
    signingKey: (bytes: Buffer): KeyObject => createSecretKey(bytes),
    /** The refresh MAC key is derived with HKDF, so the two uses never share a key. */
    refreshMac: (bytes: Buffer): Buffer =>
      Buffer.from(hkdfSync('sha256', bytes, '', 'baton refresh token', 32)),
  },
} as const

const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2})$/

// scrypt cost: N = 2^15, r = 8 (OWASP's minimum) — ~100 ms, once, at start-up.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }
const MIN_PASSPHRASE_LENGTH = 16
const MIN_SALT_LENGTH = 8
const KEYS_SHAPE = 'keys must be { secret }, { passphrase, salt } or an array of { kid, secret }'

export interface ResolveKeysOptions {
  /** Under production rules a secret with obviously low entropy is refused. */
  production: boolean
}

/** Builds the keyring from the `keys` option; every failure names the option at fault. */
export function resolveKeys(
  keys: KeysOption | undefined,
  algorithm: Algorithm,
  { production }: ResolveKeysOptions = { production: false },
): Keyring {
  const decodeSecret = (secret: unknown, algorithm: Algorithm, name: string): Buffer => {
    const bytes = decodeSecretBytes(secret, algorithm, name)
    if (production) checkEntropy(bytes, name)
    return bytes
  }
  if (keys === undefined) {
    const bytes = randomBytes(ALGORITHMS[algorithm].minKeyBytes)
    return ring([entry(fingerprint(bytes), algorithm, bytes)], true)
  }
  if (Array.isArray(keys)) return ring(keyringEntries(keys, algorithm, decodeSecret), false)
  if (typeof keys !== 'object' || keys === null) throw new TypeError(KEYS_SHAPE)
  let bytes: Buffer
  if ('secret' in keys) bytes = decodeSecret(keys.secret, algorithm, 'keys.secret')
  else if ('passphrase' in keys) bytes = derivePassphrase(keys, algorithm)
  else throw new TypeError(KEYS_SHAPE)
  return ring([entry(fingerprint(bytes), algorithm, bytes)], false)
}

type DecodeSecret = (secret: unknown, algorithm: Algorithm, name: string) => Buffer

function keyringEntries(
  entries: readonly KeyringEntry[],
  fallback: Algorithm,
  decodeSecret: DecodeSecret,
): ResolvedEntry[] {
  if (entries.length === 0) throw new TypeError('keys must not be an empty keyring')
  const seen = new Set<string>()
  return entries.map((given, index) => {
    const where = `keys[${index}]`
    if (typeof given !== 'object' || given === null) {
      throw new TypeError(`${where} must be an object { kid, secret, algorithm? }`)
    }
    if (typeof given.kid !== 'string' || !KID_PATTERN.test(given.kid)) {
      throw new TypeError(`${where}.kid must be 1–64 characters of A-Z a-z 0-9 . _ -`)
    }
    if (seen.has(given.kid)) throw new TypeError(`${where}.kid repeats a kid used earlier`)
    seen.add(given.kid)
    const algorithm = given.algorithm ?? fallback
    if (!isAlgorithm(algorithm)) {
      throw new TypeError(`${where}.algorithm must be one of ${ALGORITHM_NAMES.join(', ')}`)
    }
    return entry(given.kid, algorithm, decodeSecret(given.secret, algorithm, `${where}.secret`))
  })
}

function decodeSecretBytes(secret: unknown, algorithm: Algorithm, name: string): Buffer {
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
  const min = ALGORITHMS[algorithm].minKeyBytes
  if (bytes.length < min) {
    throw new TypeError(`${name} is too weak: ${algorithm} needs at least ${min} random bytes`)
  }
  return bytes
}

/**
 * Random bytes of the lengths we require (≥ 32) take ~30 distinct values on average, and fewer
 * than 16 practically never (< 1e-9): a key with so few is typed, padded or zeroed, not random.
 */
const MIN_DISTINCT_BYTES = 16

function checkEntropy(bytes: Buffer, name: string): void {
  if (new Set(bytes).size < MIN_DISTINCT_BYTES) {
    throw new TypeError(
      `${name} does not look random (only ${new Set(bytes).size} distinct byte values): generate one with \`openssl rand -base64 32\``,
    )
  }
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
  return scryptSync(passphrase, salt, ALGORITHMS[algorithm].minKeyBytes, SCRYPT)
}

function entry(kid: string, algorithm: Algorithm, bytes: Buffer): ResolvedEntry {
  const family = FAMILIES[ALGORITHMS[algorithm].family]
  return {
    signing: { kid, algorithm, key: family.signingKey(bytes) },
    refreshMac: family.refreshMac(bytes),
  }
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

function ring(entries: ResolvedEntry[], ephemeral: boolean): Keyring {
  const first = entries[0] as ResolvedEntry
  return {
    signing: first.signing,
    byKid: new Map(entries.map(({ signing }) => [signing.kid, signing])),
    refresh: { current: first.refreshMac, all: entries.map(({ refreshMac }) => refreshMac) },
    ephemeral,
  }
}
