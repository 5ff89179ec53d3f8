// fileStorage (Node): atomic writes (temporary file + rename), mode 0600, survives a crash.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { fileStorage } from '../src/file-storage.js'
import type * as FileStorageModule from '../src/file-storage.js'
import { TokenSet } from '../src/token-set.js'
import { API, clientOf, tokenServer } from './fixtures/token-server.js'

const ISSUED = Date.UTC(2026, 0, 1)
const oldTokens = new TokenSet({
  accessToken: 'old-access',
  refreshToken: 'old-refresh',
  issuedAt: ISSUED,
})
const newTokens = new TokenSet({
  accessToken: 'new-access',
  refreshToken: 'new-refresh',
  issuedAt: ISSUED,
})

const modeOf = (path: string) => statSync(path).mode & 0o777

t.test('save, load and clear a file', async (t) => {
  const file = join(t.testdir(), 'tokens.json')
  const storage = fileStorage(file)
  t.equal(storage.load(), null, 'no file yet')
  await storage.save(oldTokens)
  t.same(TokenSet.parse(storage.load()).toJSON(), oldTokens.toJSON())
  t.same(JSON.parse(readFileSync(file, 'utf8')), oldTokens.toJSON())
  await storage.save(newTokens)
  t.same(TokenSet.parse(storage.load()).toJSON(), newTokens.toJSON())
  t.same(readdirSync(t.testdirName), ['tokens.json'], 'no temporary file is left')
  await storage.clear()
  t.equal(existsSync(file), false)
  await storage.clear()
  t.pass('clearing a missing file is fine')
})

t.test('the file is written with mode 0600, whatever the umask', async (t) => {
  const dir = t.testdir({ 'tokens.json': '{"accessToken":"world-readable"}' })
  const file = join(dir, 'tokens.json')
  const { chmodSync } = await import('node:fs')
  chmodSync(file, 0o644)
  await fileStorage(file).save(oldTokens)
  t.equal(modeOf(file), 0o600, 'an existing 0644 file is replaced by a 0600 one')
  const previous = process.umask(0o277)
  t.teardown(() => void process.umask(previous))
  await fileStorage(file).save(newTokens)
  t.equal(modeOf(file), 0o600, 'even when the umask would take the write bit away')
})

t.test('missing directories are created, private', async (t) => {
  const file = join(t.testdir(), 'config', 'app', 'tokens.json')
  await fileStorage(file).save(oldTokens)
  t.equal(modeOf(file), 0o600)
  t.equal(modeOf(join(t.testdirName, 'config', 'app')), 0o700)
})

t.test('a file: URL works as a path', async (t) => {
  const file = join(t.testdir(), 'tokens.json')
  const storage = fileStorage(pathToFileURL(file))
  await storage.save(oldTokens)
  t.same(TokenSet.parse(fileStorage(file).load()).accessToken, 'old-access')
})

t.test('a crash between the write and the rename leaves the old file intact', async (t) => {
  const dir = t.testdir()
  const file = join(dir, 'tokens.json')
  await fileStorage(file).save(oldTokens)
  const before = readFileSync(file, 'utf8')

  const child = spawn(
    process.execPath,
    [...process.execArgv, join(import.meta.dirname, 'fixtures', 'crash-mid-write.ts'), file],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  )
  await new Promise<void>((resolve) => {
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('renaming')) resolve()
    })
  })
  const stray = readdirSync(dir).filter((name) => name.endsWith('.tmp'))
  t.equal(stray.length, 1, 'the new tokens sit complete in a temporary file')
  t.same(TokenSet.parse(readFileSync(join(dir, stray[0] ?? ''), 'utf8')).accessToken, 'new-access')
  t.equal(modeOf(join(dir, stray[0] ?? '')), 0o600, 'the temporary file is private too')

  child.kill('SIGKILL')
  t.equal(await exited, 'SIGKILL')
  t.equal(readFileSync(file, 'utf8'), before, 'the old file is byte for byte intact')
  t.same(TokenSet.parse(fileStorage(file).load()).accessToken, 'old-access')

  await fileStorage(file).save(newTokens)
  t.same(
    TokenSet.parse(fileStorage(file).load()).accessToken,
    'new-access',
    'the stray file is harmless',
  )
  t.same(readdirSync(dir), ['tokens.json'], 'and the next save removed it')
})

t.test('a failed rename removes the temporary file and reports the error', async (t) => {
  const actual = await import('node:fs/promises')
  const failure = Object.assign(new Error('EXDEV: cross-device link'), { code: 'EXDEV' })
  const { fileStorage: mocked } = await t.mockImport<typeof FileStorageModule>(
    '../src/file-storage.js',
    {
      'node:fs/promises': { ...actual, rename: () => Promise.reject(failure) },
    },
  )
  const dir = t.testdir({ 'tokens.json': JSON.stringify(oldTokens) })
  const file = join(dir, 'tokens.json')
  await t.rejects(mocked(file).save(newTokens), failure)
  t.same(readdirSync(dir), ['tokens.json'], 'the temporary file is gone')
  t.same(TokenSet.parse(readFileSync(file, 'utf8')).accessToken, 'old-access')
})

t.test('errors other than a missing file are thrown', async (t) => {
  const dir = t.testdir({ directory: {} })
  const storage = fileStorage(join(dir, 'directory'))
  t.throws(() => storage.load(), { code: 'EISDIR' })
  await t.rejects(storage.clear(), Error)
  writeFileSync(join(dir, 'plain'), 'x')
  // A file where a directory should be: mkdir fails (EEXIST or ENOTDIR, by platform).
  await t.rejects(fileStorage(join(dir, 'plain', 'tokens.json')).save(oldTokens), Error)
})

t.test('the path must be a non-empty string or a file: URL', async (t) => {
  t.throws(() => fileStorage(''), {
    name: 'TypeError',
    message: 'fileStorage: path must be a non-empty string or a file: URL',
  })
  t.throws(() => fileStorage(42 as never), TypeError)
})

t.test('a client persists its refreshed tokens to the file', async (t) => {
  const file = join(t.testdir(), 'tokens.json')
  const server = tokenServer()
  writeFileSync(file, JSON.stringify(server.initial({ accessToken: 'A0' })))
  const api = clientOf(server, {
    storage: fileStorage(file),
    tokens: undefined,
  })
  t.equal(api.tokens?.accessToken, 'A0', 'read at construction')
  t.equal((await api.fetch(API)).status, 200)
  t.equal(
    TokenSet.parse(readFileSync(file, 'utf8')).refreshToken,
    'R2',
    'saved before fetch resolved',
  )
  t.equal(modeOf(file), 0o600)
  await api.logout()
  t.equal(existsSync(file), false)
})

t.test('the directory is flushed after the rename, where the platform can', async (t) => {
  const actual = await import('node:fs/promises')
  const dir = t.testdir()
  const file = join(dir, 'tokens.json')
  const synced: string[] = []
  let directory: 'refused' | 'unsyncable' | 'ok' = 'ok'
  const { fileStorage: mocked } = await t.mockImport<typeof FileStorageModule>(
    '../src/file-storage.js',
    {
      'node:fs/promises': {
        ...actual,
        open: async (path: string, ...rest: []) => {
          const handle = await actual.open(path, ...rest)
          if (path !== dir) return handle
          if (directory === 'refused') {
            await handle.close()
            throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' })
          }
          return Object.assign(handle, {
            sync: async () => {
              synced.push(directory)
              if (directory === 'unsyncable')
                throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' })
            },
          })
        },
      },
    },
  )
  const storage = mocked(file)
  await storage.save(oldTokens)
  await storage.clear()
  t.same(synced, ['ok', 'ok'], 'after the rename, and after the unlink')
  directory = 'unsyncable'
  await storage.save(newTokens)
  directory = 'refused'
  await storage.save(newTokens)
  t.same(synced, ['ok', 'ok', 'unsyncable'])
  t.same(TokenSet.parse(readFileSync(file, 'utf8')).accessToken, 'new-access', 'saved all the same')
})

t.test('a path that cannot be looked at is an error, not a missing file', async (t) => {
  const dir = t.testdir({ 'a-file': 'x' })
  t.throws(() => fileStorage(join(dir, 'a-file', 'tokens.json')).load(), { code: 'ENOTDIR' })
  const storage = fileStorage(join(dir, 'tokens.json'))
  await storage.save(oldTokens)
  t.equal(storage.changed(), false, 'its own write is not a change')
})
