/** The first verified access token of a generation marks it used: once, however many arrive at once. */
import t from 'tap'
import { LruSessionStore, createAuth } from '../src/index.js'

t.test('concurrent first verifications of a generation write its mark once', async (t) => {
  const store = new LruSessionStore()
  let writes = 0
  const markUsed = store.markUsed.bind(store)
  store.markUsed = (...args) => {
    writes++
    return markUsed(...args)
  }
  const auth = createAuth({ store })
  const tokens = await auth.issue('alice')
  await Promise.all([auth.verify(tokens.access_token), auth.verify(tokens.access_token)])
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(writes, 1)
})
