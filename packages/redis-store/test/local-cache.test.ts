import t from 'tap'
import { LocalSessionCache } from '../src/local-cache.js'
import { makeSession } from './fixtures/sessions.js'

const session = makeSession('alice')
const { sid } = session

function tracking(max = 10): LocalSessionCache {
  const cache = new LocalSessionCache(max)
  cache.setTracking(true)
  return cache
}

function fill(cache: LocalSessionCache, id = sid): void {
  cache.finish(cache.begin(id), { ...session, sid: id })
}

t.test('a read answered while tracking is kept', async (t) => {
  const cache = tracking()
  fill(cache)
  t.equal(cache.get(sid)?.sid, sid)
})

t.test('nothing is kept while not tracking', async (t) => {
  const cache = new LocalSessionCache(10)
  t.equal(cache.begin(sid), undefined, 'a read is not even registered')
  fill(cache)
  t.equal(cache.size, 0)
})

t.test('an invalidation drops the session', async (t) => {
  const cache = tracking()
  fill(cache)
  cache.invalidate(sid)
  t.equal(cache.get(sid), undefined)
})

t.test('a read whose sid is invalidated while it is in flight keeps nothing', async (t) => {
  const cache = tracking()
  const read = cache.begin(sid)
  cache.invalidate(sid)
  cache.finish(read, session)
  t.equal(cache.get(sid), undefined)
  fill(cache)
  t.equal(cache.get(sid)?.sid, sid, 'the next read, begun after it, is kept')
})

t.test('an invalidation counts against every read of the sid in flight', async (t) => {
  const cache = tracking()
  const first = cache.begin(sid)
  const second = cache.begin(sid)
  cache.invalidate(sid)
  const third = cache.begin(sid)
  cache.finish(first, session)
  cache.finish(second, session)
  t.equal(cache.get(sid), undefined)
  cache.finish(third, session)
  t.equal(cache.get(sid)?.sid, sid, 'a read begun after the invalidation is kept')
})

t.test('an invalidation of another sid does not count', async (t) => {
  const cache = tracking()
  const read = cache.begin(sid)
  cache.invalidate('another-sid')
  cache.finish(read, session)
  t.equal(cache.get(sid)?.sid, sid)
})

t.test('a read in flight across a clear or a loss of tracking keeps nothing', async (t) => {
  const cache = tracking()
  const beforeClear = cache.begin(sid)
  cache.clear()
  cache.finish(beforeClear, session)
  t.equal(cache.size, 0, 'not after a clear')

  const beforeLoss = cache.begin(sid)
  cache.setTracking(false)
  cache.setTracking(true)
  cache.finish(beforeLoss, session)
  t.equal(cache.size, 0, 'not after tracking was lost, even once it is back')
})

t.test('losing tracking empties the cache', async (t) => {
  const cache = tracking()
  fill(cache)
  cache.setTracking(false)
  t.equal(cache.get(sid), undefined)
  t.equal(cache.size, 0)
})

t.test('a read that found no session keeps nothing', async (t) => {
  const cache = tracking()
  cache.finish(cache.begin(sid), undefined)
  t.equal(cache.size, 0)
})

t.test('keeps at most max sessions, the least recently used going first', async (t) => {
  const cache = tracking(2)
  fill(cache, 'a')
  fill(cache, 'b')
  t.ok(cache.get('a'), 'a is now the most recently used')
  fill(cache, 'c')
  t.equal(cache.size, 2)
  t.equal(cache.get('b'), undefined, 'b went first')
  t.ok(cache.get('a'))
  t.ok(cache.get('c'))
})
