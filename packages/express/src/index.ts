export { LruSessionStore } from './lru-session-store.js'
export {
  AuthError,
  InsufficientScopeError,
  InvalidCredentialsError,
  InvalidGrantError,
  InvalidRequestError,
  InvalidTokenError,
  NoCredentialsError,
  SessionLimitError,
  SessionNotFoundError,
  StoreUnavailableError,
  UnsupportedGrantTypeError,
} from './errors.js'
export type { LruSessionStoreOptions } from './lru-session-store.js'
export type { AuthErrorCode, OAuthErrorName } from './errors.js'
export type {
  Awaitable,
  CreateOptions,
  CreateResult,
  EvictionNotice,
  RotateOptions,
  RotateResult,
  Session,
  SessionStore,
} from './session-store.js'
