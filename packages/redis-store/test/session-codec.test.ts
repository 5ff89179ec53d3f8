import t from 'tap'
import { decodeSession, encodeSession } from '../src/session-codec.js'
import { makeSession } from './fixtures/sessions.js'

const session = makeSession('codec')

/** The HGETALL reply of `session` with `changes` applied (undefined removes a field). */
function reply(changes: Record<string, string | undefined> = {}): string[] {
  const fields = new Map<string, string>()
  const encoded = encodeSession(session)
  for (let index = 0; index < encoded.length; index += 2) {
    fields.set(encoded[index] ?? '', encoded[index + 1] ?? '')
  }
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) fields.delete(name)
    else fields.set(name, value)
  }
  return [...fields].flat()
}

t.test('a session round-trips exactly, claims and all', async (t) => {
  const claims = { list: [], empty: {}, big: 2 ** 53 - 1, text: 'ünï \u2028', deep: { a: [null] } }
  const rich = { ...session, claims, createdAt: 1.5 }
  t.same(decodeSession(rich.sid, encodeSession(rich)), rich)
  t.strictSame(decodeSession(rich.sid, encodeSession(rich))?.claims, claims)
})

t.test('a session without a user agent decodes without one', async (t) => {
  const { userAgent: _omitted, ...agentless } = session
  const decoded = decodeSession(session.sid, encodeSession(agentless))
  t.same(decoded, agentless)
  t.notOk(decoded !== undefined && 'userAgent' in decoded)
})

const broken: [string, Record<string, string | undefined>][] = [
  ['another format version', { v: '2' }],
  ['no format version', { v: undefined }],
  ['no data', { data: undefined }],
  ['data that is not JSON', { data: '{' }],
  ['data that is an array', { data: '[]' }],
  ['data that is null', { data: 'null' }],
  ['a subject that is not a string', { data: '{"sub":1,"claims":{}}' }],
  ['claims that are an array', { data: '{"sub":"a","claims":[]}' }],
  ['a user agent that is not a string', { data: '{"sub":"a","claims":{},"userAgent":5}' }],
  ['an empty number', { generation: '' }],
  ['a padded number', { createdAt: ' 1' }],
  ['a number in another spelling', { lastUsedAt: '1e3' }],
  ['an infinite number', { expiresAt: 'Infinity' }],
  ['a missing number', { rotatedAt: undefined }],
  ['a missing refresh expiry', { refreshExpiresAt: undefined }],
]

for (const [what, changes] of broken) {
  t.test(`a hash with ${what} is not a session`, async (t) => {
    t.equal(decodeSession(session.sid, reply(changes)), undefined)
  })
}
