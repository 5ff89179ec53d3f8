export { createAuth } from './create-auth.js'
export { authOptionsFromEnv } from './env.js'
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
export type { Auth, IntrospectionResponse, SessionInfo, TokenResponse } from './create-auth.js'
export type { AuthEvent, AuthOptions, AuthenticatedUser, Credentials } from './options.js'
export type {
  Algorithm,
  KeyringEntry,
  KeysOption,
  PassphraseKeyOptions,
  SecretKeyOptions,
} from './keys.js'
export type { AuthInfo } from './tokens.js'
export type { RequiredOptions } from './verify.js'
export type {
  AuthenticatedHandler,
  AuthenticatedLocals,
  AuthenticatedRequest,
} from './authenticated-request.js'
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
