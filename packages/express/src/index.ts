export { createAuth } from './create-auth.js'
export { authOptionsFromEnv } from './env.js'
export { LruSessionStore } from './lru-session-store.js'
export { decideRotation, refreshExpiry } from './rotation-rule.js'
export {
  AuthError,
  CsrfError,
  InsufficientScopeError,
  InvalidClientError,
  InvalidCredentialsError,
  InvalidGrantError,
  InvalidScopeError,
  InvalidRequestError,
  InvalidTokenError,
  IssuerUnavailableError,
  NoCredentialsError,
  SessionLimitError,
  SessionNotFoundError,
  StoreFullError,
  StoreUnavailableError,
  UnsupportedGrantTypeError,
} from './errors.js'
export type { Auth } from './create-auth.js'
export type {
  IntrospectionResponse,
  LogoutResponse,
  SessionInfo,
  TokenResponse,
} from './responses.js'
export type {
  AuthEvent,
  AuthOptions,
  AuthenticatedUser,
  Credentials,
  IntrospectionOptions,
  RefreshCookieOptions,
} from './options.js'
export type { Algorithm } from './algorithms.js'
export type {
  AsymmetricKeyInput,
  KeyringEntry,
  KeysOption,
  PassphraseKeyOptions,
  PrivateKeyOptions,
  PublicJwk,
  RefreshSecretOption,
  SecretKeyOptions,
} from './keys.js'
export type { WellKnownOptions } from './well-known.js'
export type { AuthInfo } from './access-token.js'
export type { RequiredOptions } from './middleware.js'
export type {
  AuthenticatedHandler,
  AuthenticatedLocals,
  AuthenticatedRequest,
} from './authenticated-request.js'
export type { LruSessionStoreOptions } from './lru-session-store.js'
export type { AuthErrorCode, OAuthErrorName } from './errors.js'
export type { RotationDecision } from './rotation-rule.js'
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
