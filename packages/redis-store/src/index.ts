export { RedisSessionStore } from './redis-session-store.js'
export { RedisStoreError } from './errors.js'
export type { RedisSessionStoreOptions } from './options.js'
export type { RedisStoreErrorCode } from './errors.js'
