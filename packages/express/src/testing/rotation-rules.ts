/**
 * The contract's rotation rules: `rotate` answers what `decideRotation` (`rotation-rule.ts`)
 * decides, atomically, and `markUsed` records that a client received the current generation.
 */
import { decideRotation } from '../rotation-rule.js'
import type { Session, SessionStore } from '../session-store.js'
import { MINUTE, SECOND, type ContractKit } from './contract-kit.js'

const OUTCOMES = {
  rotate: 'rotated',
  replay: 'replayed',
  resync: 'resynced',
  reuse: 'reused',
} as const

// One subtest per rule, registered in order: a list, long because the rule has many cases.
export function rotationRules<S extends SessionStore>(kit: ContractKit<S>): void {
  const { base, makeSession, uniqueSubject, storeTest, add, rotateOptions } = kit

  /** A session rotated once at `base + MINUTE` (now at generation 1), used or not. */
  async function rotatedOnce(
    t: Parameters<Parameters<typeof storeTest>[1]>[0],
    store: SessionStore,
    label: string,
    used: boolean,
  ): Promise<Session> {
    const session = await add(t, store, makeSession(uniqueSubject(label)))
    const rotated = await store.rotate(session.sid, 0, rotateOptions(base + MINUTE))
    t.equal(rotated.outcome, 'rotated')
    if (used) await store.markUsed(session.sid, 1, base + MINUTE + 1)
    return session
  }

  storeTest(
    'rotating the current generation increments it, extends the refresh life, and is unused',
    async (t, store) => {
      const session = await add(t, store, makeSession(uniqueSubject('rotor'), { used: true }))
      const now = base + MINUTE
      const result = await store.rotate(session.sid, 0, rotateOptions(now))
      const rotated = {
        ...session,
        generation: 1,
        rotatedAt: now,
        used: false,
        lastUsedAt: now,
        refreshExpiresAt: now + 10 * MINUTE,
      }
      t.same(result, { outcome: 'rotated', session: rotated })
      t.same(await store.get(session.sid, now), rotated)
    },
  )

  storeTest(
    'a rotation never extends the refresh life past the absolute expiry',
    async (t, store) => {
      const session = await add(
        t,
        store,
        makeSession(uniqueSubject('capped'), { expiresAt: base + 5 * MINUTE }),
      )
      const result = await store.rotate(session.sid, 0, rotateOptions(base + MINUTE))
      t.match(result, { outcome: 'rotated', session: { refreshExpiresAt: base + 5 * MINUTE } })
    },
  )

  storeTest(
    'while the current generation is unused, the previous one replays long after the grace',
    async (t, store) => {
      const session = await rotatedOnce(t, store, 'lost-response', false)
      const current = await store.get(session.sid, base + MINUTE)
      const late = base + 9 * MINUTE
      const replay = await store.rotate(session.sid, 0, rotateOptions(late))
      t.same(replay, { outcome: 'replayed', session: current })
      const again = await store.rotate(session.sid, 0, rotateOptions(late + SECOND))
      t.same(again, { outcome: 'replayed', session: current }, 'and again: nothing changes')
      t.same(await store.get(session.sid, late), current)
    },
  )

  storeTest('inside the grace the previous generation replays, used or not', async (t, store) => {
    const session = await rotatedOnce(t, store, 'racer', true)
    const current = await store.get(session.sid, base + MINUTE)
    t.equal(current?.used, true, 'markUsed recorded the current generation')
    const replay = await store.rotate(session.sid, 0, rotateOptions(base + MINUTE + 9 * SECOND))
    t.same(replay, { outcome: 'replayed', session: current })
  })

  storeTest(
    'once the current generation is used, the previous one after the grace is reuse',
    async (t, store) => {
      const session = await rotatedOnce(t, store, 'thief', true)
      const late = await store.rotate(session.sid, 0, rotateOptions(base + MINUTE + 10 * SECOND))
      t.equal(late.outcome, 'reused')
      t.equal(late.outcome === 'reused' && late.session.sub, session.sub)
      t.equal(await store.get(session.sid, base + MINUTE), undefined)
      t.same(await store.listBySubject(session.sub, base + MINUTE), [])
    },
  )

  storeTest(
    'with no grace a used generation makes the previous one reuse at once',
    async (t, store) => {
      const session = await add(t, store, makeSession(uniqueSubject('nograce')))
      await store.rotate(session.sid, 0, rotateOptions(base + MINUTE, 0))
      t.equal(
        (await store.rotate(session.sid, 0, rotateOptions(base + MINUTE, 0))).outcome,
        'replayed',
        'unused: a replay',
      )
      await store.markUsed(session.sid, 1, base + MINUTE)
      t.equal(
        (await store.rotate(session.sid, 0, rotateOptions(base + MINUTE, 0))).outcome,
        'reused',
      )
      t.equal(await store.get(session.sid, base + MINUTE), undefined)
    },
  )

  storeTest('an older generation is reuse even inside the grace and unused', async (t, store) => {
    const session = await add(t, store, makeSession(uniqueSubject('older')))
    await store.rotate(session.sid, 0, rotateOptions(base + MINUTE))
    await store.rotate(session.sid, 1, rotateOptions(base + MINUTE + 1))
    t.equal(
      (await store.rotate(session.sid, 0, rotateOptions(base + MINUTE + 2))).outcome,
      'reused',
    )
    t.equal(await store.get(session.sid, base + MINUTE), undefined)
  })

  storeTest(
    'a generation newer than the stored one resynchronises: rotated one past it',
    async (t, store) => {
      const session = await add(t, store, makeSession(uniqueSubject('restored')))
      const now = base + MINUTE
      const result = await store.rotate(session.sid, 7, rotateOptions(now))
      const resynced = {
        ...session,
        generation: 8,
        rotatedAt: now,
        used: false,
        lastUsedAt: now,
        refreshExpiresAt: now + 10 * MINUTE,
      }
      t.same(result, { outcome: 'resynced', session: resynced })
      t.same(await store.get(session.sid, now), resynced)
      t.equal((await store.rotate(session.sid, 8, rotateOptions(now + 1))).outcome, 'rotated')
    },
  )

  storeTest('markUsed marks only the current generation of a live session', async (t, store) => {
    const session = await add(t, store, makeSession(uniqueSubject('marker')))
    await store.rotate(session.sid, 0, rotateOptions(base + MINUTE))
    await store.markUsed(session.sid, 0, base + MINUTE)
    t.equal((await store.get(session.sid, base + MINUTE))?.used, false, 'an older generation: no')
    await store.markUsed(session.sid, 2, base + MINUTE)
    t.equal((await store.get(session.sid, base + MINUTE))?.used, false, 'a newer one: no')
    await store.markUsed(session.sid, 1, base + MINUTE)
    t.equal((await store.get(session.sid, base + MINUTE))?.used, true, 'the current one: yes')
    await store.markUsed('no-such-session', 0, base)
    t.equal(await store.get('no-such-session', base), undefined, 'never revives a session')
  })

  storeTest('rotate answers what decideRotation, the written rule, decides', async (t, store) => {
    const rotatedAt = base + MINUTE
    for (const graceMs of [10 * SECOND, 0]) {
      for (const used of [true, false]) {
        for (const offset of [0, -1, -2, 1]) {
          for (const elapsed of [0, graceMs - 1, graceMs, graceMs + 1]) {
            const session = await add(
              t,
              store,
              makeSession(uniqueSubject('rule'), { generation: 3, rotatedAt, used }),
            )
            const now = rotatedAt + Math.max(0, elapsed)
            const wanted = OUTCOMES[decideRotation(session, 3 + offset, now, graceMs)]
            const result = await store.rotate(session.sid, 3 + offset, rotateOptions(now, graceMs))
            t.equal(
              result.outcome,
              wanted,
              `generation ${offset}, ${elapsed} ms, grace ${graceMs}, used ${used}`,
            )
          }
        }
      }
    }
  })

  storeTest('an unknown sid does not rotate', async (t, store) => {
    t.equal((await store.rotate('no-such-session', 0, rotateOptions(base))).outcome, 'missing')
  })

  storeTest('50 concurrent rotations of one generation: exactly one rotates', async (t, store) => {
    const session = await add(t, store, makeSession(uniqueSubject('stampede')))
    const now = base + MINUTE
    const results = await Promise.all(
      Array.from({ length: 50 }, async () => store.rotate(session.sid, 0, rotateOptions(now))),
    )
    const outcomes = results.map((result) => result.outcome)
    t.equal(outcomes.filter((outcome) => outcome === 'rotated').length, 1)
    t.equal(outcomes.filter((outcome) => outcome === 'replayed').length, 49)
    t.equal((await store.get(session.sid, now))?.generation, 1)
    t.equal((await store.listBySubject(session.sub, now)).length, 1)
  })
}
