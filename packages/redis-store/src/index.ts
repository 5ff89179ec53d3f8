export { RedisSessionStore } from './redis-session-store.js'
export { RedisStoreError } from './errors.js'
export type { RedisClient, RedisSessionStoreOptions } from './options.js'
export type { RedisStoreErrorCode } from './errors.js'
