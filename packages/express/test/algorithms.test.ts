/** The algorithm table: which keys fit which rows. */
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import t from 'tap'
import { ALGORITHM_NAMES, keyMismatch } from '../src/algorithms.js'
import { PAIRS } from './fixtures/key-pairs.js'

t.test('each row accepts the keys of its family and refuses the others', async (t) => {
  const secret = createSecretKey(randomBytes(32))
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey
  const fits: Record<string, unknown[]> = {
    HS256: [secret],
    HS384: [secret],
    HS512: [secret],
    ES256: [PAIRS.ES256.publicKey, PAIRS.ES256.privateKey],
    RS256: [PAIRS.RS256.publicKey],
    PS256: [PAIRS.PS256.privateKey],
  }
  const candidates = [secret, p384, PAIRS.ES256.publicKey, PAIRS.RS256.publicKey]
  for (const algorithm of ALGORITHM_NAMES) {
    for (const key of fits[algorithm] ?? []) {
      t.equal(keyMismatch(algorithm, key as typeof secret), undefined, `${algorithm} fits`)
    }
    const family = algorithm.slice(0, 2)
    for (const key of candidates) {
      const sameFamily =
        (family === 'HS' && key === secret) ||
        (family === 'ES' && key === PAIRS.ES256.publicKey) ||
        ((family === 'RS' || family === 'PS') && key === PAIRS.RS256.publicKey)
      if (!sameFamily) t.type(keyMismatch(algorithm, key), 'string', `${algorithm} refuses`)
    }
  }
})
