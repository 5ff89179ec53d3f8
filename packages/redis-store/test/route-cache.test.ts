import t from 'tap'
import { RouteCache } from '../src/route-cache.js'

t.test('keeps at most max routes, dropping the least recently used', async (t) => {
  const cache = new RouteCache(2)
  cache.set('a', 'ua')
  cache.set('b', 'ub')
  t.equal(cache.get('a'), 'ua', 'a is now the most recently used')
  cache.set('c', 'uc')
  t.equal(cache.size, 2)
  t.equal(cache.get('b'), undefined, 'b went first')
  t.equal(cache.get('a'), 'ua')
  t.equal(cache.get('c'), 'uc')
})

t.test('setting a route again replaces it without growing', async (t) => {
  const cache = new RouteCache(2)
  cache.set('a', 'ua')
  cache.set('a', 'wa')
  t.equal(cache.size, 1)
  t.equal(cache.get('a'), 'wa')
  cache.delete('a')
  t.equal(cache.get('a'), undefined)
})

t.test('a size of 0 remembers nothing', async (t) => {
  const cache = new RouteCache(0)
  cache.set('a', 'ua')
  t.equal(cache.size, 0)
  t.equal(cache.get('a'), undefined)
})
