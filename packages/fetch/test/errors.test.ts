// AuthError and the summaries that stand in for causes: nothing that may hold a credential.
import t from 'tap'
import {
  AuthError,
  isAuthError,
  statusOf,
  summarizeError,
  summarizeResponse,
} from '../src/errors.js'

t.test('AuthError carries a literal code and its cause', async (t) => {
  const cause = { status: 401, statusText: '', url: 'https://api.test/' }
  const error = new AuthError('AUTH_REFRESH_FAILED', 'refused again', { cause })
  t.type(error, Error)
  t.equal(error.name, 'AuthError')
  t.equal(error.code, 'AUTH_REFRESH_FAILED')
  t.equal(error.cause, cause)
  t.equal(new AuthError('AUTH_SESSION_EXPIRED', 'x').cause, undefined)
  t.ok(isAuthError(error))
  t.ok(isAuthError(error, 'AUTH_REFRESH_FAILED'))
  t.notOk(isAuthError(error, 'AUTH_SESSION_EXPIRED'))
  t.notOk(isAuthError(new Error('x')))
})

t.test('summarizeError keeps name, message (known secrets blanked) and status only', async (t) => {
  const error = Object.assign(new TypeError('token abc123 and refresh def456 refused'), {
    status: 401,
    config: { headers: { authorization: 'Bearer abc123' } },
  })
  t.same(summarizeError(error, ['abc123', 'def456', undefined, '']), {
    name: 'TypeError',
    message: 'token [redacted] and refresh [redacted] refused',
    status: 401,
  })
  t.ok(Object.isFrozen(summarizeError(error, [])))
  t.same(summarizeError('plain abc123', ['abc123']), { name: 'Error', message: 'plain [redacted]' })
  t.same(summarizeError(undefined, []), { name: 'Error', message: 'undefined' })
  t.same(summarizeError({ name: 42, message: { nested: true } }, []), {
    name: 'Error',
    message: '',
  })
  t.equal(
    summarizeError(new Error('x'.repeat(2000)), []).message.length,
    500,
    'long messages are cut',
  )
})

t.test('statusOf reads status, statusCode or response.status', async (t) => {
  t.equal(statusOf({ status: 400 }), 400)
  t.equal(statusOf({ statusCode: 401 }), 401)
  t.equal(statusOf({ response: { status: 503 } }), 503)
  t.equal(statusOf({ status: '400' }), undefined)
  t.equal(statusOf({ response: null }), undefined)
  t.equal(statusOf(null), undefined)
})

t.test('summarizeResponse keeps status, URL and short OAuth codes free of secrets', async (t) => {
  const response = new Response('', { status: 400, statusText: 'Bad Request' })
  t.same(
    summarizeResponse(response, 'https://api.test/auth/refresh', {
      error: 'invalid_grant',
      error_description: 'anything at all',
      code: 'ERR_REFRESH_REUSED',
    }),
    {
      status: 400,
      statusText: 'Bad Request',
      url: 'https://api.test/auth/refresh',
      error: 'invalid_grant',
      code: 'ERR_REFRESH_REUSED',
    },
  )
  t.same(
    summarizeResponse(response, 'u', { error: 'has spaces in it', code: 7 }),
    { status: 400, statusText: 'Bad Request', url: 'u' },
    'anything but a short identifier is dropped',
  )
  t.same(
    summarizeResponse(
      new Response('', { status: 401, statusText: 'no s3cr3t' }),
      'u',
      { error: 's3cr3t', code: 'x-s3cr3t' },
      ['s3cr3t'],
    ),
    { status: 401, statusText: '[redacted]', url: 'u' },
    'an echoed secret is dropped',
  )
})
