/**
 * The attack matrix, for every row of the algorithm table: with a live session's claims, a token
 * is refused whenever its header, key or algorithm is not the pair the issuer holds — `alg: none`,
 * algorithm confusion both ways (an HMAC token keyed with the public key; an asymmetric token for
 * an HMAC kid), another algorithm of the same key, an attacker's key under our kid, an embedded
 * `jwk`, and `kid` tricks. Each case has a positive control: the same claims, signed as the issuer
 * signs, verify.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import t from 'tap'
import { createAuth, type Algorithm, type KeyringEntry } from '../src/index.js'
import { b64url, decode } from './fixtures/forge.js'
import {
  ALL_ALGORITHMS,
  PAIRS,
  REFRESH_SECRET,
  type AsymmetricAlgorithm,
} from './fixtures/key-pairs.js'
import { signJws } from './fixtures/sign-jws.js'

const HMAC_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 }

interface Setup {
  entry: KeyringEntry
  /** What signs as the issuer does. */
  signingKey: KeyObject | Buffer
  publicKey: KeyObject | undefined
}

function setupFor(algorithm: Algorithm): Setup {
  const bytes = HMAC_BYTES[algorithm]
  if (bytes !== undefined) {
    const secret = randomBytes(bytes)
    return { entry: { kid: 'ours', secret, algorithm }, signingKey: secret, publicKey: undefined }
  }
  const pair = PAIRS[algorithm as AsymmetricAlgorithm]
  return {
    entry: { kid: 'ours', privateKey: pair.privateKey, algorithm },
    signingKey: pair.privateKey,
    publicKey: pair.publicKey,
  }
}

/** An attacker's own keys, one of each family. */
const ATTACKER = {
  HS256: randomBytes(64),
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
}

for (const algorithm of ALL_ALGORITHMS) {
  t.test(`${algorithm}: only the issuer's key under its own algorithm verifies`, async (t) => {
    const setup = setupFor(algorithm)
    const other = { kid: 'other', secret: randomBytes(32), algorithm: 'HS256' as const }
    const auth = createAuth({ keys: [setup.entry, other], refreshSecret: REFRESH_SECRET })
    const issued = await auth.issue('alice', { scope: 'read' })
    const { header, payload } = decode(issued.access_token)
    t.same(header, { alg: algorithm, typ: 'at+jwt', kid: 'ours' })

    const refused = async (token: string, name: string) =>
      t.rejects(auth.verify(token), { code: 'ERR_TOKEN_INVALID' }, name)

    t.equal(
      (await auth.verify(signJws(header, payload, algorithm, setup.signingKey))).sub,
      'alice',
      'positive control: the same claims, signed as the issuer signs',
    )

    // alg: none, with and without a signature segment.
    const unsigned = `${b64url(JSON.stringify({ ...header, alg: 'none' }))}.${b64url(JSON.stringify(payload))}`
    await refused(`${unsigned}.`, 'alg none, empty signature')
    await refused(`${unsigned}.${b64url('x')}`, 'alg none with a signature')
    await refused(
      `${b64url(JSON.stringify({ ...header, alg: 'None' }))}.${b64url(JSON.stringify(payload))}.`,
      'alg None',
    )

    // Every other algorithm of the table in the header, signed with what an attacker may hold.
    for (const confused of ALL_ALGORITHMS.filter((name) => name !== algorithm)) {
      const confusedHeader = { ...header, alg: confused }
      if (confused.startsWith('HS') && setup.publicKey !== undefined) {
        // The classic: the public key (which the attacker has) used as the HMAC secret.
        const pem = setup.publicKey.export({ format: 'pem', type: 'spki' })
        const der = setup.publicKey.export({ format: 'der', type: 'spki' })
        const jwk = JSON.stringify(setup.publicKey.export({ format: 'jwk' }))
        await refused(
          signJws(confusedHeader, payload, confused, pem),
          `${confused} keyed with the PEM`,
        )
        await refused(
          signJws(confusedHeader, payload, confused, der),
          `${confused} keyed with the DER`,
        )
        await refused(
          signJws(confusedHeader, payload, confused, jwk),
          `${confused} keyed with the JWK`,
        )
      } else if (!confused.startsWith('HS')) {
        const attacker = confused === 'ES256' ? ATTACKER.ES256 : ATTACKER.RS256
        await refused(
          signJws(confusedHeader, payload, confused, attacker),
          `${confused} by an attacker's key`,
        )
      } else {
        await refused(
          signJws(confusedHeader, payload, confused, setup.signingKey),
          `${confused} with our secret`,
        )
      }
    }
    if (algorithm === 'RS256' || algorithm === 'PS256') {
      // Even a genuine signature of our own RSA key under the sibling algorithm is refused:
      // the key, not the header, decides the algorithm.
      const sibling = algorithm === 'RS256' ? 'PS256' : 'RS256'
      await refused(
        signJws({ ...header, alg: sibling }, payload, sibling, setup.signingKey),
        `our key under ${sibling}`,
      )
    }

    // An attacker's key of the right algorithm, under our kid, with and without an embedded jwk.
    const ownKind = algorithm.startsWith('HS')
      ? ATTACKER.HS256
      : algorithm === 'ES256'
        ? ATTACKER.ES256
        : ATTACKER.RS256
    await refused(signJws(header, payload, algorithm, ownKind), "an attacker's key under our kid")
    if (!algorithm.startsWith('HS')) {
      const embedded = (ownKind as KeyObject).export({ format: 'jwk' })
      const { d: _private, ...jwk } = embedded
      await refused(signJws({ ...header, jwk }, payload, algorithm, ownKind), 'an embedded jwk')
      await refused(
        signJws(
          { ...header, jku: 'https://attacker.example/jwks.json' },
          payload,
          algorithm,
          ownKind,
        ),
        'a jku',
      )
    }

    // kid tricks: missing, unknown, prototype names, not a string, another key of the ring.
    const { kid: _kid, ...withoutKid } = header
    await refused(signJws(withoutKid, payload, algorithm, setup.signingKey), 'no kid')
    for (const kid of [
      'unknown',
      '__proto__',
      'constructor',
      'toString',
      '../../ours',
      'ours ',
      'OURS',
      '',
      7,
      ['ours'],
      { kid: 'ours' },
      null,
    ]) {
      await refused(
        signJws({ ...header, kid }, payload, algorithm, setup.signingKey),
        `kid ${JSON.stringify(kid)}`,
      )
    }
    await refused(
      signJws({ ...header, kid: 'other' }, payload, algorithm, setup.signingKey),
      "another key's kid",
    )
    await refused(
      signJws({ ...header, kid: 'other', alg: 'HS256' }, payload, 'HS256', randomBytes(32)),
      "another key's kid with a guessed secret",
    )
  })
}
