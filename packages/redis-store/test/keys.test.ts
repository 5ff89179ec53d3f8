import t from 'tap'
import { hasBraces, isSubjectTag, keyLayout, subjectTag } from '../src/keys.js'

t.test('the key layout puts a subject’s keys under one hash tag', async (t) => {
  const keys = keyLayout('baton:')
  const tag = subjectTag('alice')
  t.equal(tag, 'uYWxpY2U')
  t.equal(keys.index(tag), 'baton:{uYWxpY2U}:sessions')
  t.equal(keys.session(tag, 'S1D'), 'baton:{uYWxpY2U}:session:S1D')
  t.equal(keys.pointer('S1D'), 'baton:sid:S1D')
})

t.test('a tag never contains braces and is never empty', async (t) => {
  for (const sub of ['', '{', '}', '{x}', '}{', 'a:b', 'ünï', '\uD800', '\uDC00x']) {
    const tag = subjectTag(sub)
    t.ok(tag.length > 0)
    t.notOk(hasBraces(tag), `no braces for ${JSON.stringify(sub)}`)
    t.ok(isSubjectTag(tag))
  }
})

t.test('well-formed subjects use UTF-8, lone surrogates UTF-16', async (t) => {
  t.match(subjectTag('\u{1F600}'), /^u/)
  t.match(subjectTag('\uD800'), /^w/)
  t.not(subjectTag('\uD800'), subjectTag('\uDBFF'))
})

t.test('a pointer value must look like a tag', async (t) => {
  for (const value of ['', 'x', 'u{a}', 'u a', 'U', 'uYW=']) t.notOk(isSubjectTag(value), value)
  t.ok(isSubjectTag('u'))
})
