// Behaviour 7: a caller's abort rejects that caller at once — also while it waits for a refresh —
// without cancelling the refresh the others share. Bodies nobody will read are cancelled.
import t from 'tap'
import { abortable, isAbortError, sleep } from '../src/abort.js'
import type { AuthError } from '../src/errors.js'
import { gate, settle, until } from './fixtures/scripted-fetch.js'
import { API, clientOf, tokenServer } from './fixtures/token-server.js'

function staleClient() {
  const server = tokenServer()
  const refreshAnswer = server.holdRefreshes()
  const api = clientOf(server, {
    tokens: server.initial({ accessToken: 'A0' }),
  })
  return { server, api, refreshAnswer }
}

t.test(
  'a caller aborted while waiting for a shared refresh rejects at once; the refresh goes on',
  async (t) => {
    const { server, api, refreshAnswer } = staleClient()
    const controller = new AbortController()
    const reason = new Error('navigated away')
    const aborted = api.fetch(API, { signal: controller.signal }).catch((error: unknown) => error)
    const other = api.fetch(API)
    await until(() => server.refreshCalls().length === 1)
    controller.abort(reason)
    t.equal(await aborted, reason, 'rejected with its own reason, before the refresh ended')
    refreshAnswer.open()
    const response = await other
    t.equal(response.status, 200, 'the refresh completed for the others')
    t.equal(api.tokens?.accessToken, 'A2')
    t.equal(server.apiCalls().length, 3, 'the aborted request was not retried')
  },
)

t.test(
  'a caller aborted while its request waits for a proactive refresh rejects at once',
  async (t) => {
    const server = tokenServer()
    const refreshAnswer = server.holdRefreshes()
    const api = clientOf(server)
    server.clock.advance(900 - 1) // one second left: inside refreshBefore
    const first = new AbortController()
    const second = new AbortController()
    const starter = api.fetch(API, { signal: first.signal }).catch((error: unknown) => error)
    await until(() => server.refreshCalls().length === 1)
    const joiner = api.fetch(API, { signal: second.signal }).catch((error: unknown) => error)
    await settle()
    first.abort('first reason')
    second.abort('second reason')
    t.equal(await starter, 'first reason')
    t.equal(await joiner, 'second reason')
    refreshAnswer.open()
    t.equal((await api.fetch(API)).status, 200)
    t.equal(server.refreshCalls().length, 1)
  },
)

t.test('an already aborted signal rejects without sending anything', async (t) => {
  const { server, api } = staleClient()
  const error = await api
    .fetch(API, { signal: AbortSignal.abort('too late') })
    .catch((error: unknown) => error)
  t.equal(error, 'too late')
  t.equal(server.calls.length, 0)
})

t.test('the signal of a Request input counts too', async (t) => {
  const { server, api } = staleClient()
  const controller = new AbortController()
  const pending = api
    .fetch(new Request(API, { signal: controller.signal }))
    .catch((error: unknown) => error)
  await until(() => server.refreshCalls().length === 1)
  controller.abort('request reason')
  t.equal(await pending, 'request reason')
})

t.test(
  'an abort while the request is in flight rejects as fetch does, with no retry',
  async (t) => {
    const server = tokenServer()
    const hold = gate()
    server.onApi = async () => {
      await hold.promise
      return new Response('late')
    }
    const api = clientOf(server, {
      refreshUrl: undefined,
      sleep: async () => {
        t.fail('no retry after an abort')
      },
    })
    const controller = new AbortController()
    const pending = api.fetch(API, { signal: controller.signal }).catch((error: unknown) => error)
    await until(() => server.apiCalls().length === 1)
    controller.abort('stop')
    t.equal(await pending, 'stop')
    hold.open()
    t.equal(server.apiCalls().length, 1)
  },
)

t.test('the discarded 401 bodies are cancelled; a returned 401 keeps its body', async (t) => {
  const server = tokenServer()
  const cancelled: string[] = []
  const refusal = (name: string) =>
    new Response(
      new ReadableStream({
        pull: (controller) => controller.enqueue(new TextEncoder().encode(name)),
        cancel: () => void cancelled.push(name),
      }),
      { status: 401 },
    )
  let calls = 0
  server.onApi = () => refusal(`refusal ${++calls}`)
  const api = clientOf(server, {
    tokens: server.initial({ accessToken: 'A0' }),
  })
  const error = await api.fetch(API).catch((error: unknown) => error)
  t.equal((error as AuthError).code, 'AUTH_REFRESH_FAILED')
  await settle()
  t.same(cancelled, ['refusal 1', 'refusal 2'], 'both refusals were cancelled')

  cancelled.length = 0
  server.onRefresh = () => {
    throw new TypeError('fetch failed')
  }
  const unavailable = await api.fetch(API).catch((error: unknown) => error)
  t.equal((unavailable as AuthError).code, 'AUTH_REFRESH_UNAVAILABLE')
  await settle()
  t.same(cancelled, ['refusal 3'], 'the 401 of a failed renewal is cancelled too')

  cancelled.length = 0
  server.onRefresh = () => new Response(JSON.stringify(server.rotate()))
  const post = await api.fetch(API, { method: 'POST', body: 'x' })
  t.equal(post.status, 401)
  await settle()
  t.same(cancelled, [], 'the 401 handed back is intact')
  t.match(await post.body?.getReader().read(), { value: new TextEncoder().encode('refusal 4') })
})

t.test('abortable() and sleep()', async (t) => {
  t.equal(await abortable(Promise.resolve(1), undefined), 1)
  const controller = new AbortController()
  t.equal(await abortable(Promise.resolve(2), controller.signal), 2)
  await t.rejects(abortable(Promise.reject(new Error('inner')), controller.signal), {
    message: 'inner',
  })
  t.equal(await abortable(Promise.resolve(3), AbortSignal.abort('x')).catch((e: unknown) => e), 'x')

  await sleep(0)
  await sleep(1, new AbortController().signal)
  t.equal(await sleep(1000, AbortSignal.abort('gone')).catch((e: unknown) => e), 'gone')
  const later = new AbortController()
  const waiting = sleep(60_000, later.signal).catch((e: unknown) => e)
  later.abort('cleared')
  t.equal(await waiting, 'cleared', 'an abort ends the wait and clears its timer')

  t.ok(isAbortError(new DOMException('x', 'AbortError')))
  t.ok(isAbortError(new DOMException('x', 'TimeoutError')))
  t.notOk(isAbortError(new TypeError('fetch failed')))
  t.notOk(isAbortError('AbortError'))
  t.notOk(isAbortError({}))
})
