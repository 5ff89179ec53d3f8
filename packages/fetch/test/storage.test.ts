// The web-standard storages: memory (the default) and Web Storage.
import t from 'tap'
import { memoryStorage, webStorage } from '../src/storage.js'
import { TokenSet } from '../src/token-set.js'

const tokens = new TokenSet({ accessToken: 'a', refreshToken: 'r', issuedAt: Date.UTC(2026, 0, 1) })

t.test('memoryStorage keeps the set until cleared', async (t) => {
  const storage = memoryStorage()
  t.equal(storage.load(), null)
  await storage.save(tokens)
  t.equal(storage.load(), tokens)
  await storage.clear()
  t.equal(storage.load(), null)
  t.not(memoryStorage().load(), tokens, 'each memoryStorage is its own')
})

t.test('webStorage keeps the JSON under its key', async (t) => {
  const map = new Map<string, string>()
  const fake = {
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => void map.set(key, value),
    removeItem: (key: string) => void map.delete(key),
  }
  const storage = webStorage(fake, 'app')
  t.equal(storage.load(), null)
  await storage.save(tokens)
  t.same(JSON.parse(map.get('app') ?? ''), tokens.toJSON())
  t.same(TokenSet.parse(storage.load()).toJSON(), tokens.toJSON())
  await storage.clear()
  t.equal(map.has('app'), false)
})

t.test('webStorage validates its arguments', async (t) => {
  const fake = { getItem: () => null, setItem: () => undefined, removeItem: () => undefined }
  t.throws(() => webStorage(undefined as never, 'k'), {
    name: 'TypeError',
    message: 'webStorage: storage must have getItem, setItem and removeItem',
  })
  t.throws(() => webStorage({ ...fake, setItem: 1 } as never, 'k'), TypeError)
  t.throws(() => webStorage({ ...fake, removeItem: 1 } as never, 'k'), TypeError)
  t.throws(() => webStorage(fake, ''), { message: 'webStorage: key must be a non-empty string' })
  t.throws(() => webStorage(fake, 5 as never), TypeError)
})
