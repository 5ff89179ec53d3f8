import t from 'tap'
import { LruSessionStore } from '../src/lru-session-store.js'
import { sessionStoreContract } from '../src/testing/store-contract.js'

t.test('the store contract', async (t) => {
  sessionStoreContract(t, { createStore: () => new LruSessionStore({ max: 1000 }) })
})
