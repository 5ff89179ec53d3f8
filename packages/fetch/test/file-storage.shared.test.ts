/**
 * Processes on one token file act as one client: one refresh at a time under `<file>.lock`,
 * a write of one noticed by the others before their next use, a lock left by a dead or hung
 * process taken over. In one process with two storages on the file, and across processes
 * against the real `@baton/express`.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { createAuthFetch } from '../src/create-auth-fetch.js'
import { fileStorage, type FileStorageOptions } from '../src/file-storage.js'
import type * as FileStorageModule from '../src/file-storage.js'
import type { SessionEnd } from '../src/options.js'
import { TokenSet } from '../src/token-set.js'
import { startApp } from './fixtures/express-app.js'
import { listen } from './fixtures/listen.js'
import { gate } from './fixtures/scripted-fetch.js'
import { API, clientOf, tokenServer } from './fixtures/token-server.js'

function onFile(t: Test, options: FileStorageOptions = {}) {
  const server = tokenServer()
  const file = join(t.testdir(), 'tokens.json')
  writeFileSync(file, JSON.stringify(server.initial()))
  const process = () => {
    const ends: SessionEnd[] = []
    const errors: unknown[] = []
    const api = clientOf(server, {
      tokens: undefined,
      storage: fileStorage(file, options),
      onSessionEnd: (end) => ends.push(end),
      onError: (error) => errors.push(error),
    })
    return { api, ends, errors }
  }
  return { server, file, lockFile: `${file}.lock`, process }
}

t.test('two clients on one file that expire together refresh once', async (t) => {
  const { server, file, lockFile, process } = onFile(t)
  const [one, two] = [process(), process()]
  server.clock.advance(900)
  const responses = await Promise.all([one.api.fetch(API), two.api.fetch(API)])
  t.same(
    responses.map((response) => response.status),
    [200, 200],
  )
  t.equal(server.refreshCalls().length, 1)
  t.equal(two.api.tokens?.accessToken, 'A2')
  t.equal(TokenSet.parse(readFileSync(file, 'utf8')).accessToken, 'A2')
  t.notOk(existsSync(lockFile), 'the lock is released')
})

t.test('a write by another client is noticed before the next use', async (t) => {
  const { server, process } = onFile(t)
  const [one, two] = [process(), process()]
  await one.api.refresh()
  t.equal(two.api.tokens?.accessToken, 'A2', 'read again: the file changed')
  t.equal((await two.api.fetch(API)).status, 200)
  t.equal(server.refreshCalls().length, 1)

  await one.api.logout()
  t.equal(two.api.tokens, null)
  t.same(
    two.ends.map((end) => end.reason),
    ['elsewhere'],
  )
})

t.test('a lock whose process is gone is taken over at once', async (t) => {
  const { server, lockFile, process } = onFile(t)
  const dead = spawn(globalThis.process.execPath, ['-e', ''])
  await new Promise((resolve) => dead.on('exit', resolve))
  writeFileSync(lockFile, JSON.stringify({ pid: dead.pid, at: server.clock(), nonce: 'dead' }))
  const { api, errors } = process()
  await api.refresh()
  t.equal(api.tokens?.accessToken, 'A2')
  t.same(errors, [])
  t.notOk(existsSync(lockFile))
})

t.test('a lock older than staleLock is taken over, even if its process runs', async (t) => {
  const clock = { now: Date.UTC(2026, 0, 1) }
  const { lockFile, process } = onFile(t, { now: () => clock.now, staleLock: 60 })
  writeFileSync(
    lockFile,
    JSON.stringify({ pid: globalThis.process.pid, at: clock.now - 60_000, nonce: 'hung' }),
  )
  const { api, errors } = process()
  await api.refresh()
  t.equal(api.tokens?.accessToken, 'A2')
  t.same(errors, [])
})

t.test('an unreadable lock is removed', async (t) => {
  const { lockFile, process } = onFile(t)
  writeFileSync(lockFile, 'garbage')
  const { api } = process()
  await api.refresh()
  t.equal(api.tokens?.accessToken, 'A2')
})

t.test(
  'a live lock is waited for, then given up: reported, and the refresh goes ahead',
  async (t) => {
    const clock = { now: Date.UTC(2026, 0, 1) }
    const polls: number[] = []
    const { lockFile, process } = onFile(t, {
      now: () => clock.now,
      lockTimeout: 1,
      lockPollInterval: 100,
      sleep: async (ms) => {
        polls.push(ms)
        clock.now += ms
      },
    })
    const held = JSON.stringify({ pid: globalThis.process.pid, at: clock.now, nonce: 'busy' })
    writeFileSync(lockFile, held)
    const { api, errors } = process()
    await api.refresh()
    t.equal(api.tokens?.accessToken, 'A2')
    t.equal(polls.length, 10, 'looked again every 100 ms for 1 s')
    t.match(errors, [{ name: 'LockTimeoutError', code: 'ERR_LOCK_TIMEOUT' }])
    t.equal(readFileSync(lockFile, 'utf8'), held, "another's lock is not removed")
  },
)

t.test('a lock taken over while held is left to its new owner', async (t) => {
  const { server, lockFile, process } = onFile(t)
  const { api } = process()
  const theirs = JSON.stringify({ pid: globalThis.process.pid, at: server.clock(), nonce: 'new' })
  const refresh = server.onRefresh
  server.onRefresh = (call) => {
    writeFileSync(lockFile, theirs) // we hung; another process judged our lock stale
    return refresh(call)
  }
  await api.refresh()
  t.equal(readFileSync(lockFile, 'utf8'), theirs)
})

t.test('an abort while waiting for the lock stops the wait', async (t) => {
  const { server, lockFile, process } = onFile(t, { sleep: () => new Promise(() => undefined) })
  writeFileSync(
    lockFile,
    JSON.stringify({ pid: globalThis.process.pid, at: server.clock(), nonce: 'busy' }),
  )
  const { api } = process()
  const refreshed = api.refresh().catch((error: unknown) => error)
  await new Promise((resolve) => setImmediate(resolve))
  api[Symbol.dispose]()
  t.match(await refreshed, { name: 'AbortError' })
  t.equal(server.refreshCalls().length, 0)
})

t.test('fileStorage validates its options', async (t) => {
  const file = join(t.testdir(), 'tokens.json')
  t.throws(() => fileStorage(file, { lockTimeout: -1 }), {
    name: 'TypeError',
    message: 'fileStorage: lockTimeout must be a non-negative number',
  })
  t.throws(() => fileStorage(file, { staleLock: Number.NaN }), /staleLock/)
  t.throws(() => fileStorage(file, { now: 5 as never }), {
    message: 'fileStorage: now must be a function',
  })
})

t.test(
  'a process killed mid-refresh: the other takes its lock over, no reuse on the server',
  async (t) => {
    const app = await startApp(t)
    const file = join(t.testdir(), 'tokens.json')
    writeFileSync(file, JSON.stringify(TokenSet.parse(await app.login())))
    // Between the child and the server: forwards the refresh, and keeps the answer from the
    // child, which is killed with the rotation done on the server and never stored.
    const rotated = gate()
    const proxy = await listen(t, (req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        void fetch(`${app.origin}/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': String(req.headers['content-type']) },
          body,
        }).then(() => rotated.open())
        res.on('close', () => undefined)
      })
    })
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        join(import.meta.dirname, 'fixtures', 'refresh-child.ts'),
        file,
        `${proxy}/auth/refresh`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = new Promise((resolve) => child.on('exit', resolve))
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('refreshing')) resolve()
      })
    })
    await rotated.promise
    t.match(
      JSON.parse(readFileSync(`${file}.lock`, 'utf8')),
      { pid: child.pid },
      'it holds the lock',
    )
    child.kill('SIGKILL')
    await exited

    const api = createAuthFetch({
      origins: [app.origin],
      refreshUrl: `${app.origin}/auth/refresh`,
      storage: fileStorage(file),
      now: app.clock,
    })
    await api.refresh()
    t.equal((await api.fetch(`${app.origin}/api/me`)).status, 200)
    t.equal(app.count('refresh'), 1, 'the rotation the child never stored')
    t.equal(app.count('refresh_replayed'), 1, 'answered again, idempotently')
    t.equal(app.count('refresh_reused'), 0, 'no reuse: the session lives')
    t.notOk(existsSync(`${file}.lock`))
  },
)

t.test('a lock file that cannot be made is reported, and the refresh goes ahead', async (t) => {
  const actual = await import('node:fs/promises')
  const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })
  const { fileStorage: mocked } = await t.mockImport<typeof FileStorageModule>(
    '../src/file-storage.js',
    { 'node:fs/promises': { ...actual, link: () => Promise.reject(denied) } },
  )
  const server = tokenServer()
  const file = join(t.testdir(), 'tokens.json')
  writeFileSync(file, JSON.stringify(server.initial()))
  const errors: unknown[] = []
  const api = clientOf(server, {
    tokens: undefined,
    storage: mocked(file),
    onError: (error) => errors.push(error),
  })
  await api.refresh()
  t.equal(api.tokens?.accessToken, 'A2')
  t.same(errors, [denied])
})
