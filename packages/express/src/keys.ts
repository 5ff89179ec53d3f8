/**
 * Turns the `keys` option into a keyring: the keys that sign and verify access tokens, and —
 * kept apart from them — the keys that MAC refresh tokens. What each algorithm needs comes from
 * the table in `algorithms.ts`; how a family's key is made is one entry of `FAMILIES` below.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  scryptSync,
  KeyObject,
  type JsonWebKey,
} from 'node:crypto'
import {
  ALGORITHMS,
  ALGORITHM_NAMES,
  DEFAULT_ASYMMETRIC,
  isAlgorithm,
  keyMismatch,
  type Algorithm,
} from './algorithms.js'

/** One secret, base64 or base64url of random bytes; the decoded bytes are the HMAC key. */
export interface SecretKeyOptions {
  secret: string | Uint8Array
}

/** A passphrase stretched with scrypt and a fixed, app-specific salt. */
export interface PassphraseKeyOptions {
  passphrase: string
  salt: string
}

/** A PEM text, a JWK or a `KeyObject`. */
export type AsymmetricKeyInput = string | JsonWebKey | KeyObject

/**
 * One asymmetric private key (an EC P-256 or RSA ≥ 2048-bit key): it signs, and its public half
 * is what verifiers get. Its `kid` is the key's RFC 7638 JWK thumbprint.
 */
export interface PrivateKeyOptions {
  privateKey: AsymmetricKeyInput
}

interface KeyringEntryBase {
  /** The `kid` header of tokens signed with this key. 1–64 of `A-Z a-z 0-9 . _ -`. */
  kid: string
  /**
   * @default the `algorithm` option for a secret; for an asymmetric key the `algorithm` option
   * when it fits the key, else ES256 for an EC key and RS256 for an RSA key
   */
  algorithm?: Algorithm
  /**
   * Verifies but never signs: how the next key is published before any instance signs with it
   * (see the README's key rotation). A `publicKey` entry is always verify-only.
   * @default false
   */
  verifyOnly?: boolean
}

/**
 * One key of a keyring: the first key that is not verify-only signs, every key verifies, so keys
 * can rotate. Exactly one of `secret` (HMAC), `privateKey` or `publicKey` (verify-only).
 */
export type KeyringEntry = KeyringEntryBase &
  (
    | { secret: string | Uint8Array; privateKey?: never; publicKey?: never }
    | { privateKey: AsymmetricKeyInput; secret?: never; publicKey?: never }
    | { publicKey: AsymmetricKeyInput; secret?: never; privateKey?: never }
  )

export type KeysOption =
  SecretKeyOptions | PassphraseKeyOptions | PrivateKeyOptions | readonly KeyringEntry[]

/** The refresh MAC secret(s): the first MACs new refresh tokens, all verify. */
export type RefreshSecretOption = string | Uint8Array | readonly (string | Uint8Array)[]

/** A ready access-token key that signs. */
export interface SigningKey {
  kid: string
  algorithm: Algorithm
  /**
   * Always a KeyObject (secret or private): jsonwebtoken would otherwise try to parse a string
   * key as PEM first.
   */
  key: KeyObject
}

/** The members of a published public key: `kty`, `kid`, `alg`, `use` and the key's own. */
export type PublicJwk = Readonly<Record<string, string>>

/** A ready access-token key that verifies. */
export interface VerificationKey {
  kid: string
  algorithm: Algorithm
  /** The secret (HMAC) or public KeyObject. */
  key: KeyObject
  /** The public JWK to publish (RFC 7517, with `kid`, `alg`, `use`); undefined for HMAC keys. */
  jwk: PublicJwk | undefined
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
  byKid: Map<string, VerificationKey>
  refresh: RefreshMacKeys
  /** Whether the key was generated at start-up (tokens die on restart). */
  ephemeral: boolean
}

/** A key as resolved from the option, before the ring is assembled. */
interface ResolvedEntry {
  /** Undefined for a verify-only key. */
  signing: SigningKey | undefined
  verification: VerificationKey
  /** The MAC key derived from an HMAC secret; undefined for asymmetric keys. */
  refreshMac: Buffer | undefined
}

/** What each family of the algorithm table needs to turn key material into keys. */
const FAMILIES = {
  hmac: {
    /** The decoded bytes are the HMAC key itself, so any JWT library can verify given them. */
    signingKey: (bytes: Buffer): KeyObject => createSecretKey(bytes),
    /** The refresh MAC key is derived with HKDF, so the two uses never share a key. */
    refreshMac: (bytes: Buffer): Buffer =>
      Buffer.from(hkdfSync('sha256', bytes, '', 'baton refresh token', 32)),
  },
  ec: { generate: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey },
  rsa: { generate: () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey },
} as const

const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2})$/

// scrypt cost: N = 2^15, r = 8 (OWASP's minimum) — ~100 ms, once, at start-up.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }
const MIN_PASSPHRASE_LENGTH = 16
const MIN_SALT_LENGTH = 8
/** A refresh MAC secret is an HMAC-SHA-256 key: at least 32 bytes (RFC 2104 §3, RFC 7518 §3.2). */
const MIN_REFRESH_SECRET_BYTES = 32
const KEYS_SHAPE =
  'keys must be { secret }, { passphrase, salt }, { privateKey } or an array of { kid, secret | privateKey | publicKey }'

export interface ResolveKeysOptions {
  /** Under production rules a secret with obviously low entropy is refused. */
  production: boolean
  /** The `refreshSecret` option. */
  refreshSecret?: RefreshSecretOption | undefined
}

/** Builds the keyring from the `keys` option; every failure names the option at fault. */
export function resolveKeys(
  keys: KeysOption | undefined,
  algorithm: Algorithm,
  { production, refreshSecret }: ResolveKeysOptions = { production: false },
): Keyring {
  const decodeSecret = secretDecoder(production)
  const refreshSecrets =
    refreshSecret === undefined ? undefined : decodeRefreshSecrets(refreshSecret, production)
  const spec = ALGORITHMS[algorithm]
  if (keys === undefined) {
    if (spec.family === 'hmac') {
      const bytes = randomBytes(spec.minKeyBytes)
      return ring([hmacEntry(fingerprint(bytes), algorithm, bytes, false)], refreshSecrets, true)
    }
    // A generated key pair has no secret to derive the refresh MAC key from: a random one, too.
    const privateKey = FAMILIES[spec.family].generate()
    const entry = asymmetricEntry(undefined, algorithm, privateKey, false)
    return ring([entry], refreshSecrets ?? [randomBytes(MIN_REFRESH_SECRET_BYTES)], true)
  }
  if (Array.isArray(keys)) {
    return ring(keyringEntries(keys, algorithm, decodeSecret), refreshSecrets, false)
  }
  if (typeof keys !== 'object' || keys === null) throw new TypeError(KEYS_SHAPE)
  if ('privateKey' in keys) {
    const key = parseKey(keys.privateKey, 'private', 'keys.privateKey')
    const entry = asymmetricEntry(
      undefined,
      asymmetricAlgorithm(key, undefined, algorithm, 'keys.privateKey'),
      key,
      false,
    )
    return ring([entry], refreshSecrets, false)
  }
  if (spec.family !== 'hmac') {
    throw new TypeError(
      `algorithm ${algorithm} signs with a private key: set keys to { privateKey }`,
    )
  }
  let bytes: Buffer
  if ('secret' in keys) bytes = decodeSecret(keys.secret, algorithm, 'keys.secret')
  else if ('passphrase' in keys) bytes = derivePassphrase(keys, spec.minKeyBytes)
  else throw new TypeError(KEYS_SHAPE)
  return ring([hmacEntry(fingerprint(bytes), algorithm, bytes, false)], refreshSecrets, false)
}

/**
 * The keys a verifier that never signs holds (`create-verifier.ts`): keyring entries, any of them
 * verify-only, with no refresh MAC. An entry's `algorithm` defaults as in a keyring.
 */
export function resolveVerificationKeys(
  entries: readonly KeyringEntry[],
  { production }: { production: boolean },
): Map<string, VerificationKey> {
  if (!Array.isArray(entries)) {
    throw new TypeError('keys must be an array of { kid, publicKey | secret | privateKey }')
  }
  const resolved = keyringEntries(entries, 'HS256', secretDecoder(production))
  return new Map(resolved.map(({ verification }) => [verification.kid, verification]))
}

type DecodeSecret = (secret: unknown, algorithm: Algorithm, name: string) => Buffer

function secretDecoder(production: boolean): DecodeSecret {
  return (secret, algorithm, name) => {
    const bytes = decodeSecretBytes(secret, ALGORITHMS[algorithm], algorithm, name)
    if (production) checkEntropy(bytes, name)
    return bytes
  }
}

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
      throw new TypeError(`${where} must be an object { kid, secret | privateKey | publicKey }`)
    }
    if (typeof given.kid !== 'string' || !KID_PATTERN.test(given.kid)) {
      throw new TypeError(`${where}.kid must be 1–64 characters of A-Z a-z 0-9 . _ -`)
    }
    if (seen.has(given.kid)) throw new TypeError(`${where}.kid repeats a kid used earlier`)
    seen.add(given.kid)
    if (given.algorithm !== undefined && !isAlgorithm(given.algorithm)) {
      throw new TypeError(`${where}.algorithm must be one of ${ALGORITHM_NAMES.join(', ')}`)
    }
    if (given.verifyOnly !== undefined && typeof given.verifyOnly !== 'boolean') {
      throw new TypeError(`${where}.verifyOnly must be a boolean`)
    }
    const materials = (['secret', 'privateKey', 'publicKey'] as const).filter(
      (name) => given[name] !== undefined,
    )
    if (materials.length !== 1) {
      throw new TypeError(`${where} must have exactly one of secret, privateKey or publicKey`)
    }
    const verifyOnly = given.verifyOnly === true
    if (given.secret !== undefined) {
      const algorithm = given.algorithm ?? fallback
      if (ALGORITHMS[algorithm].family !== 'hmac') {
        throw new TypeError(
          `${where}.algorithm ${algorithm} needs a privateKey or publicKey, not a secret`,
        )
      }
      const bytes = decodeSecret(given.secret, algorithm, `${where}.secret`)
      return hmacEntry(given.kid, algorithm, bytes, verifyOnly)
    }
    const material = given.privateKey === undefined ? 'publicKey' : 'privateKey'
    const name = `${where}.${material}`
    const key = parseKey(given[material], material === 'privateKey' ? 'private' : 'public', name)
    const algorithm = asymmetricAlgorithm(key, given.algorithm, fallback, name)
    return asymmetricEntry(given.kid, algorithm, key, verifyOnly)
  })
}

/** A private or public KeyObject from a PEM text, a JWK or a KeyObject; the error never quotes it. */
function parseKey(input: unknown, type: 'private' | 'public', name: string): KeyObject {
  const expected = `${name} must be a ${type} key: a PEM text, a JWK or a KeyObject`
  if (input instanceof KeyObject) {
    if (input.type === 'secret') throw new TypeError(expected)
    if (type === 'private' && input.type !== 'private') throw new TypeError(expected)
    return type === 'public' && input.type === 'private' ? createPublicKey(input) : input
  }
  try {
    if (typeof input === 'string') {
      return type === 'private' ? createPrivateKey(input) : createPublicKey(input)
    }
    if (typeof input === 'object' && input !== null) {
      const jwk = { key: input as JsonWebKey, format: 'jwk' } as const
      return type === 'private' ? createPrivateKey(jwk) : createPublicKey(jwk)
    }
  } catch {
    // Node's parse errors say nothing useful to a user and nothing about the key; ours names it.
  }
  throw new TypeError(expected)
}

/** The algorithm of an asymmetric key: named, else the option when it fits, else by key type. */
function asymmetricAlgorithm(
  key: KeyObject,
  named: Algorithm | undefined,
  fallback: Algorithm,
  name: string,
): Algorithm {
  const type = key.asymmetricKeyType
  if (type !== 'ec' && type !== 'rsa') {
    throw new TypeError(`${name} must be an EC (P-256) or RSA key`)
  }
  const algorithm =
    named ?? (keyMismatch(fallback, key) === undefined ? fallback : DEFAULT_ASYMMETRIC[type])
  const mismatch = keyMismatch(algorithm, key)
  if (mismatch !== undefined) throw new TypeError(`${name} does not fit: ${mismatch}`)
  return algorithm
}

function asymmetricEntry(
  kid: string | undefined,
  algorithm: Algorithm,
  key: KeyObject,
  verifyOnly: boolean,
): ResolvedEntry {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  // Node exports every member of these key types as a string.
  const { kty, crv, x, y, n, e } = publicKey.export({ format: 'jwk' }) as Record<
    'kty' | 'crv' | 'x' | 'y' | 'n' | 'e',
    string
  >
  // Only the public members, so a private member can never be published by accident.
  const members: Record<string, string> = kty === 'EC' ? { crv, kty, x, y } : { e, kty, n }
  // A thumbprint is 43 base64url characters: a valid kid.
  const keyId = kid ?? thumbprint(members)
  return {
    signing: verifyOnly || key.type !== 'private' ? undefined : { kid: keyId, algorithm, key },
    verification: {
      kid: keyId,
      algorithm,
      key: publicKey,
      jwk: { ...members, kid: keyId, alg: algorithm, use: 'sig' },
    },
    refreshMac: undefined,
  }
}

function hmacEntry(
  kid: string,
  algorithm: Algorithm,
  bytes: Buffer,
  verifyOnly: boolean,
): ResolvedEntry {
  const key = FAMILIES.hmac.signingKey(bytes)
  return {
    signing: verifyOnly ? undefined : { kid, algorithm, key },
    verification: { kid, algorithm, key, jwk: undefined },
    refreshMac: FAMILIES.hmac.refreshMac(bytes),
  }
}

function decodeSecretBytes(
  secret: unknown,
  spec: { minKeyBytes: number } | { family: string },
  label: string,
  name: string,
): Buffer {
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
  const min = 'minKeyBytes' in spec ? spec.minKeyBytes : MIN_REFRESH_SECRET_BYTES
  if (bytes.length < min) {
    throw new TypeError(`${name} is too weak: ${label} needs at least ${min} random bytes`)
  }
  return bytes
}

function decodeRefreshSecrets(given: RefreshSecretOption, production: boolean): Buffer[] {
  const list = Array.isArray(given) ? (given as readonly unknown[]) : [given]
  if (list.length === 0) throw new TypeError('refreshSecret must not be an empty array')
  return list.map((secret, index) => {
    const name = Array.isArray(given) ? `refreshSecret[${index}]` : 'refreshSecret'
    const bytes = decodeSecretBytes(secret, { family: 'refresh' }, 'a refresh MAC key', name)
    if (production) checkEntropy(bytes, name)
    return bytes
  })
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

function derivePassphrase(options: PassphraseKeyOptions, length: number): Buffer {
  const { passphrase, salt } = options
  if (typeof passphrase !== 'string' || passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new TypeError(
      `keys.passphrase must be a string of at least ${MIN_PASSPHRASE_LENGTH} characters`,
    )
  }
  if (typeof salt !== 'string' || salt.length < MIN_SALT_LENGTH) {
    throw new TypeError(`keys.salt must be a string of at least ${MIN_SALT_LENGTH} characters`)
  }
  return scryptSync(passphrase, salt, length, SCRYPT)
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

/** RFC 7638: SHA-256 of the required members, in lexicographic order, without whitespace. */
function thumbprint(members: Record<string, string>): string {
  const text = JSON.stringify(members, Object.keys(members).sort())
  return createHash('sha256').update(text).digest('base64url')
}

/**
 * The ring. The refresh MAC keys: with `refreshSecret`, its first secret MACs and every secret
 * verifies — and so do the keys derived from HMAC entries, so adding a `refreshSecret` to a
 * running HMAC deployment logs nobody out. Without it the signing key must be an HMAC key, whose
 * derived key MACs, as before.
 */
function ring(
  entries: ResolvedEntry[],
  refreshSecrets: readonly Buffer[] | undefined,
  ephemeral: boolean,
): Keyring {
  const signing = entries.find((entry) => entry.signing !== undefined)?.signing
  if (signing === undefined) {
    throw new TypeError('keys must include a key that signs (not verify-only, not a publicKey)')
  }
  const derived = entries.flatMap(({ refreshMac }) =>
    refreshMac === undefined ? [] : [refreshMac],
  )
  const signingMac = entries.find((entry) => entry.signing === signing)?.refreshMac
  let refresh: RefreshMacKeys
  if (refreshSecrets !== undefined) {
    refresh = { current: refreshSecrets[0] as Buffer, all: [...refreshSecrets, ...derived] }
  } else if (signingMac !== undefined) {
    refresh = { current: signingMac, all: derived }
  } else {
    throw new TypeError(
      'refreshSecret is required when an asymmetric key signs: refresh tokens need a MAC secret of their own',
    )
  }
  return {
    signing,
    byKid: new Map(entries.map(({ verification }) => [verification.kid, verification])),
    refresh,
    ephemeral,
  }
}
