// The CLI: logs in once, keeps the session in a file, and on later runs restores it — no login
// while the session lives, one refresh when the access token has expired, a login prompt when
// the refresh token has. @baton/fetch does all of that; this file only says what happened.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createAuthFetch } from '@baton/fetch'
import { fileStorage } from '@baton/fetch/file-storage'
import { createPrompter } from './prompt.js'

export const USAGE = `Usage: baton-cli [me | logout] [--server URL] [--tokens FILE]

  me        Who am I? Calls GET /api/me (the default).
  logout    Revokes the session on the server and deletes the tokens file.

  --server URL   The example API. Env BATON_SERVER. Default http://localhost:3000
  --tokens FILE  Where the tokens are kept (mode 0600). Env BATON_TOKENS_FILE.
                 Default .baton-tokens.json
  Env BATON_USERNAME and BATON_PASSWORD log in without asking.
  Env BATON_TIMEOUT: seconds any one request may take (default 15).`

/** Password attempts at the prompt before giving up. */
const ATTEMPTS = 3

/**
 * @param {object} io
 * @param {string[]} io.argv The arguments after `baton-cli`.
 * @param {Record<string, string | undefined>} io.env
 * @param {NodeJS.ReadableStream & { isTTY?: boolean }} io.stdin
 * @param {{ write(text: string): unknown }} io.stdout The answer.
 * @param {NodeJS.WritableStream} io.stderr What happens, and the questions.
 * @returns {Promise<number>} The exit status.
 */
export async function run({ argv, env, stdin, stdout, stderr }) {
  const say = (text) => stderr.write(`${text}\n`)
  let options
  try {
    options = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        server: { type: 'string' },
        tokens: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    say(`${error.message}\n\n${USAGE}`)
    return 2
  }
  const command = options.positionals[0] ?? 'me'
  if (
    options.values.help ||
    !['me', 'logout'].includes(command) ||
    options.positionals.length > 1
  ) {
    say(USAGE)
    return options.values.help ? 0 : 2
  }

  const server = parseServer(options.values.server ?? env.BATON_SERVER ?? 'http://localhost:3000')
  if (server === undefined) {
    say('--server must be an http:// or https:// URL such as http://localhost:3000')
    return 2
  }
  const timeoutSeconds = Number(env.BATON_TIMEOUT ?? 15)
  if (!(timeoutSeconds > 0 && timeoutSeconds <= 3600)) {
    say('BATON_TIMEOUT must be a number of seconds from 0 to 3600, such as 15')
    return 2
  }
  const timeoutMs = Math.ceil(timeoutSeconds * 1000)
  const tokensFile = resolve(options.values.tokens ?? env.BATON_TOKENS_FILE ?? '.baton-tokens.json')

  let prompter
  /** Set by `login` so that `onTokens` can tell a login from a refresh. */
  let loggingIn = false
  /**
   * What this run did to the tokens ('login' or 'refresh'; said once they are saved) and how many
   * problems `onError` was told of (a save or a revocation that failed).
   */
  const outcome = { changed: undefined, problems: 0 }
  const credentials = credentialsFrom(env)

  const api = createAuthFetch({
    origins: [server.origin],
    refreshUrl: new URL('/auth/refresh', server),
    revocationUrl: new URL('/auth/revoke', server),
    storage: fileStorage(tokensFile),
    login: async ({ signal, fetch }) => {
      if (hadSession) say('The session has expired: log in again.')
      hadSession = false
      const attempts = credentials ? 1 : ATTEMPTS
      let response
      for (let attempt = 1; ; attempt++) {
        let answer = credentials
        if (!answer) {
          prompter ??= createPrompter({ input: stdin, output: stderr })
          const username = await prompter.ask('Username: ')
          const password = await prompter.askHidden('Password: ')
          answer = { username, password }
        }
        response = await fetch(new URL('/auth/login', server), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(answer),
          signal,
        })
        if (response.status !== 401 || attempt >= attempts) break
        await response.arrayBuffer()
        say('Wrong username or password; try again.')
      }
      if (!response.ok) {
        await response.arrayBuffer()
        const wrong = response.status === 401
        throw Object.assign(
          new Error(
            wrong ? 'wrong username or password' : `the server answered ${response.status}`,
          ),
          { status: response.status },
        )
      }
      loggingIn = true
      return response.json()
    },
    onTokens: (tokens) => {
      if (tokens !== null) outcome.changed = loggingIn ? 'login' : 'refresh'
      loggingIn = false
    },
    onError: (error) => {
      outcome.problems++
      say(`warning: ${error.message}`)
    },
    // Every request the library makes, the login's included, gives up after BATON_TIMEOUT: the
    // library has no timeout of its own, and fetch waits 5 minutes for an answer's headers.
    fetch: (input, init) => {
      const signal = timeoutSignal(timeoutMs)
      return fetch(input, {
        ...init,
        signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
      })
    },
  })
  // fileStorage loads synchronously, so this is already what the file held. A file it could not
  // read was reported as it loaded: that is no problem of this run, a new login replaces it.
  let hadSession = api.tokens !== null
  outcome.problems = 0

  let status
  try {
    status =
      command === 'logout'
        ? await logout(api, server, tokensFile, outcome, say)
        : await whoAmI(api, server, tokensFile, outcome, stdout, say)
  } catch (error) {
    say(failure(error, server))
    status = 1
  }
  // Not in a `finally`: V8's block coverage reported one after a catch that returns as never run.
  prompter?.close()
  return status
}

/**
 * A signal that aborts with a `TimeoutError` after `ms`. Not `AbortSignal.timeout(ms)` inside
 * `AbortSignal.any`: Node 20 holds the sources of `any` weakly and the timeout's timer does too, so
 * a garbage collection during the request can take the timeout away, and the request then waits
 * for a silent server for minutes (seen in CI; reproduced with `--expose-gc` and a gc() every 5
 * ms). Here the timer holds the controller; unref'd, it keeps no finished CLI alive.
 */
function timeoutSignal(ms) {
  const controller = new AbortController()
  setTimeout(() => {
    controller.abort(new globalThis.DOMException('The request timed out', 'TimeoutError'))
  }, ms).unref()
  return controller.signal
}

/** `me`: restore or log in, then GET /api/me; then say whether new tokens were saved. */
async function whoAmI(api, server, tokensFile, outcome, stdout, say) {
  if (api.tokens === null) {
    say(`No saved session: log in to ${server.origin}.`)
    await api.login()
  } else {
    say(`Restored the saved session from ${tokensFile} (${describe(api.tokens)}).`)
  }
  const response = await api.fetch(new URL('/api/me', server))
  const text = await response.text()
  if (!response.ok) {
    say(`GET /api/me answered ${response.status}`)
    return 1
  }
  const body = JSON.parse(text)
  stdout.write(`${body.sub} (session ${String(body.sid).slice(0, 8)}…)\n`)
  // The library saves new tokens before the request that needed them goes on: by now, a save
  // has succeeded or told onError it failed.
  if (outcome.problems > 0) {
    say(`The tokens could not be saved to ${tokensFile}: the next run will log in again.`)
    return 1
  }
  if (outcome.changed === 'login') say(`Logged in; tokens saved to ${tokensFile} (mode 0600).`)
  if (outcome.changed === 'refresh') {
    say('The access token had expired: refreshed it (one refresh, new tokens saved).')
  }
  return 0
}

/** `logout`: forget the tokens here, revoke the session there; say which happened. */
async function logout(api, server, tokensFile, outcome, say) {
  if (api.tokens === null) {
    say('Not logged in.')
    return 0
  }
  await api.logout()
  // A failed revocation (or deletion) went to onError: the warning above says which.
  if (outcome.problems > 0) {
    say(
      `Logout incomplete: if ${server.origin} did not revoke the session, it stays valid there until its refresh token expires.`,
    )
    return 1
  }
  say(`Logged out: the session is revoked on ${server.origin} and ${tokensFile} is deleted.`)
  return 0
}

/** The API's URL, or undefined unless it is an http(s) URL (`localhost:3000` parses as a scheme). */
function parseServer(text) {
  let url
  try {
    url = new URL(text)
  } catch {
    return undefined
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined
}

function credentialsFrom(env) {
  const username = env.BATON_USERNAME
  const password = env.BATON_PASSWORD
  return username && password ? { username, password } : undefined
}

/** The restored access token as this machine's clock sees it: `access token valid for 14 min`. */
function describe(tokens) {
  if (tokens.expiresAt === undefined) return 'no expiry given'
  const left = tokens.expiresAt - Date.now()
  return left > 0 ? `access token valid for ${human(left)}` : 'access token expired'
}

/** A failure in words, without a token or a password (the library's errors carry none). */
function failure(error, server) {
  const unreachable = `Could not reach ${server.origin}: is the example API running (pnpm -C examples/express-app start)?`
  const silent = `${server.origin} did not answer in time (BATON_TIMEOUT)`
  // fetch's own failure (connection refused, DNS) is a TypeError, a timeout a TimeoutError:
  // thrown as they are by a request, or as the `cause` (sanitized) of a failed login.
  if (error instanceof TypeError) return unreachable
  if (error.name === 'TimeoutError') return silent
  // With a `login` callback, the session only ends when it fails: `cause` says why.
  if (error.code === 'AUTH_SESSION_EXPIRED') {
    if (error.cause.name === 'TypeError') return unreachable
    if (error.cause.name === 'TimeoutError') return silent
    return `Could not log in: ${error.cause.message}.`
  }
  if (error.code === 'AUTH_REFRESH_UNAVAILABLE') {
    return `Could not refresh the session now (${server.origin} is unreachable or failing); the saved tokens are kept.`
  }
  return `Failed: ${error.message}`
}

/** `14 min`, `40 s`. */
function human(ms) {
  const seconds = Math.ceil(ms / 1000)
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min` : `${seconds} s`
}
