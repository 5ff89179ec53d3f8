/**
 * Key rotation during a rolling deploy of two instances behind one load balancer, sharing one
 * session store: publish the next key verify-only → sign with it → retire the old one after the
 * longest access-token life. Every request of every user, sent to either instance at every step,
 * succeeds; and the naive rotation (sign with the new key at once) is shown to log users out.
 */
import t, { type Test } from 'tap'
import { LruSessionStore, type KeyringEntry } from '../src/index.js'
import { makeClock, startApp, type TestApp, type TokenBody } from './fixtures/app.js'
import { ecKeyPair, REFRESH_SECRET } from './fixtures/key-pairs.js'

const ACCESS_TTL = 300
const oldKey = { kid: '2026-01', privateKey: ecKeyPair().privateKey }
const newKey = { kid: '2026-02', privateKey: ecKeyPair().privateKey }

/** Two instances, each restartable with a keyring; the same store and clock for both. */
async function cluster(t: Test) {
  const store = new LruSessionStore()
  const clock = makeClock()
  const start = (keys: KeyringEntry[]) =>
    startApp(t, { keys, refreshSecret: REFRESH_SECRET, store, now: clock, accessTtl: ACCESS_TTL })
  const instances: TestApp[] = [await start([oldKey]), await start([oldKey])]
  return {
    clock,
    instances,
    /** Replaces instance `index` with one running `keys`, as a deploy restarts it. */
    restart: async (index: number, keys: KeyringEntry[]) => {
      instances[index] = await start(keys)
    },
  }
}

/**
 * A user's client: refreshes on each instance in turn (as it would when its token expires), and
 * uses each new access token on every instance.
 */
async function useEverywhere(t: Test, instances: TestApp[], tokens: TokenBody, step: string) {
  let current = tokens
  for (const [index, instance] of instances.entries()) {
    const refreshed = await instance.post('/auth/refresh', { refresh_token: current.refresh_token })
    t.equal(refreshed.status, 200, `${step}: instance ${index} refreshes`)
    current = (await refreshed.json()) as TokenBody
    for (const [other, verifier] of instances.entries()) {
      const me = await verifier.call('/api/me', current.access_token)
      t.equal(me.status, 200, `${step}: instance ${other} accepts a token of instance ${index}`)
    }
  }
  return current
}

t.test('publish, then sign, then retire: a rolling deploy logs nobody out', async (t) => {
  const { clock, instances, restart } = await cluster(t)
  let alice = await (instances[0] as TestApp).login('alice')
  const bobBefore = await (instances[1] as TestApp).login('bob')
  alice = await useEverywhere(t, instances, alice, 'before')

  // Step 1: publish the next key, verify-only, instance by instance.
  const publish = [oldKey, { ...newKey, verifyOnly: true }]
  await restart(0, publish)
  alice = await useEverywhere(t, instances, alice, 'step 1, half deployed')
  await restart(1, publish)
  alice = await useEverywhere(t, instances, alice, 'step 1, deployed')

  // Step 2: sign with it, instance by instance; the other still verifies it (published).
  const sign = [newKey, oldKey]
  await restart(0, sign)
  const bobMid = await (instances[0] as TestApp).login('bob')
  for (const instance of instances) {
    t.equal(
      (await instance.call('/api/me', bobMid.access_token)).status,
      200,
      'a new-key token verifies on both',
    )
    t.equal(
      (await instance.call('/api/me', bobBefore.access_token)).status,
      200,
      'an old-key token too',
    )
  }
  alice = await useEverywhere(t, instances, alice, 'step 2, half deployed')
  await restart(1, sign)
  alice = await useEverywhere(t, instances, alice, 'step 2, deployed')

  // Step 3: after the longest access-token life, retire the old key.
  clock.advance(ACCESS_TTL + 10)
  const retire = [newKey]
  await restart(0, retire)
  alice = await useEverywhere(t, instances, alice, 'step 3, half deployed')
  await restart(1, retire)
  await useEverywhere(t, instances, alice, 'step 3, deployed')

  // Bob's old-key refresh token is MACed with the refresh secret, not a signing key: it lives on.
  const bobAfter = await (instances[1] as TestApp).post('/auth/refresh', {
    refresh_token: bobMid.refresh_token,
  })
  t.equal(bobAfter.status, 200, 'a refresh token from before the rotation still refreshes')
})

t.test(
  'the naive rotation — sign with the new key at once — logs users out mid-deploy',
  async (t) => {
    const { instances, restart } = await cluster(t)
    await restart(0, [newKey, oldKey])
    const carol = await (instances[0] as TestApp).login('alice')
    const rejected = await (instances[1] as TestApp).call('/api/me', carol.access_token)
    t.equal(rejected.status, 401, 'the instance not yet deployed cannot verify the new key')
  },
)
