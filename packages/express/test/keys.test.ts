import { randomBytes } from 'node:crypto'
import t from 'tap'
import { LruSessionStore, createAuth } from '../src/index.js'

const bytes = (length: number) => randomBytes(length)

t.test('a secret must carry enough random bytes for its algorithm', async (t) => {
  t.throws(() => createAuth({ keys: { secret: bytes(31).toString('base64') } }), {
    name: 'TypeError',
    message: /keys.secret is too weak: HS256 needs at least 32/,
  })
  t.throws(
    () => createAuth({ algorithm: 'HS384', keys: { secret: bytes(47).toString('base64') } }),
    {
      message: /HS384 needs at least 48/,
    },
  )
  t.throws(
    () => createAuth({ algorithm: 'HS512', keys: { secret: bytes(63).toString('base64') } }),
    {
      message: /HS512 needs at least 64/,
    },
  )
  t.throws(() => createAuth({ keys: { secret: 'not base64 at all!' } }), {
    message: /keys.secret must be a base64/,
  })
  t.throws(() => createAuth({ keys: { secret: 42 as unknown as string } }), {
    message: /keys.secret/,
  })
  t.throws(() => createAuth({ keys: 'secret' as unknown as { secret: string } }), {
    message: /^keys must be/,
  })
  t.throws(() => createAuth({ keys: {} as unknown as { secret: string } }), {
    message: /^keys must be/,
  })
})

t.test('base64, base64url and byte secrets are all the raw HMAC key', async (t) => {
  // Bytes 0xfb 0xff in front: the two encodings then differ ('+/' against '-_') whatever the
  // random rest is, so both ways of telling them apart are always taken.
  const key = Buffer.concat([Buffer.from([0xfb, 0xff, 0xbf]), bytes(45)])
  const forms = [key.toString('base64'), key.toString('base64url'), new Uint8Array(key)]
  t.match(forms[0], /^\+\/\+/)
  t.match(forms[1], /^-_-/)
  const tokens = await createAuth({ keys: { secret: forms[0] as string } }).issue('alice')
  for (const secret of forms) {
    const auth = createAuth({ keys: { secret } })
    // The session lives in the first instance's store, so a verifier elsewhere gets past the
    // signature and stops at the session: ERR_TOKEN_REVOKED, not ERR_TOKEN_INVALID.
    await t.rejects(auth.verify(tokens.access_token), { code: 'ERR_TOKEN_REVOKED' })
  }
})

t.test('a passphrase is stretched with scrypt and a fixed salt', async (t) => {
  const options = { keys: { passphrase: 'correct horse battery staple', salt: 'baton-demo-salt' } }
  const one = createAuth(options)
  const tokens = await one.issue('alice')
  t.equal((await one.verify(tokens.access_token)).sub, 'alice')
  const two = createAuth(options)
  await t.rejects(
    two.verify(tokens.access_token),
    { code: 'ERR_TOKEN_REVOKED' },
    'same key, other store',
  )
  const three = createAuth({ keys: { ...options.keys, salt: 'another-salt' } })
  await t.rejects(
    three.verify(tokens.access_token),
    { code: 'ERR_TOKEN_INVALID' },
    'other salt, other key',
  )
  t.throws(() => createAuth({ keys: { passphrase: 'short', salt: 'baton-demo-salt' } }), {
    message: /keys.passphrase must be a string of at least 16/,
  })
  t.throws(
    () => createAuth({ keys: { passphrase: 'correct horse battery staple', salt: 'tiny' } }),
    {
      message: /keys.salt must be a string of at least 8/,
    },
  )
})

t.test(
  'a keyring signs with its first key and verifies with any, so keys can rotate',
  async (t) => {
    const oldKey = { kid: '2025-old', secret: bytes(32).toString('base64') }
    const newKey = {
      kid: '2026-new',
      secret: bytes(64).toString('base64'),
      algorithm: 'HS512' as const,
    }
    const before = createAuth({ keys: [oldKey] })
    const oldTokens = await before.issue('alice')
    const header = JSON.parse(
      Buffer.from(oldTokens.access_token.split('.')[0] as string, 'base64url').toString(),
    ) as Record<string, unknown>
    t.same(header, { alg: 'HS256', typ: 'at+jwt', kid: '2025-old' })

    const during = createAuth({ keys: [newKey, oldKey] })
    const newTokens = await during.issue('bob')
    const newHeader = JSON.parse(
      Buffer.from(newTokens.access_token.split('.')[0] as string, 'base64url').toString(),
    ) as Record<string, unknown>
    t.same(newHeader, { alg: 'HS512', typ: 'at+jwt', kid: '2026-new' })
    t.equal((await during.verify(newTokens.access_token)).sub, 'bob')
    await t.rejects(
      during.verify(oldTokens.access_token),
      { code: 'ERR_TOKEN_REVOKED' },
      'old signature still verifies',
    )

    // The real rotation: the same store, the new key put first. Old sessions carry on.
    const store = new LruSessionStore()
    const yesterday = createAuth({ keys: [oldKey], store })
    const session = await yesterday.issue('carol')
    const today = createAuth({ keys: [newKey, oldKey], store })
    t.equal((await today.verify(session.access_token)).sub, 'carol')
    const refreshed = await today.refresh(session.refresh_token)
    t.equal((await today.verify(refreshed.access_token)).sub, 'carol')
    const tomorrow = createAuth({ keys: [newKey], store })
    t.equal(
      (await tomorrow.verify(refreshed.access_token)).sub,
      'carol',
      'new tokens need no old key',
    )
    await t.rejects(
      tomorrow.verify(session.access_token),
      { code: 'ERR_TOKEN_INVALID' },
      'retired key',
    )
  },
)

t.test('keyring entries are validated one by one', async (t) => {
  const secret = bytes(32).toString('base64')
  t.throws(() => createAuth({ keys: [] }), { message: /empty keyring/ })
  t.throws(() => createAuth({ keys: [{ kid: '../../x', secret }] }), { message: /keys\[0\]\.kid/ })
  t.throws(() => createAuth({ keys: [{ kid: '', secret }] }), { message: /keys\[0\]\.kid/ })
  t.throws(
    () =>
      createAuth({
        keys: [
          { kid: 'a', secret },
          { kid: 'a', secret },
        ],
      }),
    {
      message: /keys\[1\]\.kid repeats/,
    },
  )
  t.throws(() => createAuth({ keys: [{ kid: 'a', secret, algorithm: 'none' as 'HS256' }] }), {
    message: /keys\[0\]\.algorithm/,
  })
  t.throws(
    () =>
      createAuth({
        keys: [{ kid: 'a', secret: bytes(40).toString('base64'), algorithm: 'HS384' }],
      }),
    {
      message: /keys\[0\]\.secret is too weak/,
    },
  )
  t.throws(() => createAuth({ keys: [null as unknown as { kid: string; secret: string }] }), {
    message: /keys\[0\] must be an object/,
  })
})
