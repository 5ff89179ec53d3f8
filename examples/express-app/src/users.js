// The demo's user directory: two fixed users, checked the way a real one should be — every
// comparison takes the same time, whether the user exists or not, so the answer's timing does not
// tell an attacker which usernames are real. A real app keeps password *hashes* (scrypt, argon2).
import { createHash, timingSafeEqual } from 'node:crypto'

/** @type {ReadonlyMap<string, { password: string, name: string }>} */
export const DEMO_USERS = new Map([
  ['alice', { password: 'alice-password', name: 'Alice' }],
  ['bob', { password: 'bob-password', name: 'Bob' }],
])

const digest = (text) => createHash('sha256').update(text, 'utf8').digest()
const NOBODY = digest('no such user')

/**
 * The `authenticate` option of `createAuth`: the user for a good username and password, else null.
 * @param {{ username: string, password: string }} credentials
 * @returns {import('@baton/express').AuthenticatedUser | null}
 */
export function authenticate({ username, password }) {
  const user = DEMO_USERS.get(username)
  const matches = timingSafeEqual(digest(password), user ? digest(user.password) : NOBODY)
  return user && matches ? { sub: username, claims: { name: user.name } } : null
}
