export { createAuthFetch } from './create-auth-fetch.js'
export { TokenSet } from './token-set.js'
export { memoryStorage, webStorage } from './storage.js'
export { AuthError } from './errors.js'
// fileStorage is not here: it imports node: modules, so it has its own entry point,
// `@baton/fetch/file-storage`, and this one runs unbundled in a browser.
export type { AuthFetch, AuthFetchWithLogin } from './auth-fetch.js'
export type {
  AuthFetchOptions,
  FetchFunction,
  LoginFunction,
  LoginRequest,
  RefreshFunction,
  RefreshRequest,
  RetryOptions,
  SessionEnd,
  SessionEndReason,
  TokenStorage,
} from './options.js'
export type { WebStorageLike } from './storage.js'
export type {
  ParseOptions,
  TokenResponse,
  TokenSetInit,
  TokenSetJSON,
  TokenSetLike,
} from './token-set.js'
export type { AuthErrorCode, ErrorSummary, ResponseSummary } from './errors.js'
