/**
 * `@baton/express/verifier`: the verifier for services that check Baton's access tokens without
 * issuing them. A separate entry point, so jwks-rsa loads only in apps that use it.
 */
export { createVerifier } from './create-verifier.js'
export {
  AuthError,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  IssuerUnavailableError,
  NoCredentialsError,
  StoreUnavailableError,
} from './errors.js'
export type { Verifier } from './create-verifier.js'
export type {
  IntrospectionRevocation,
  JwksOptions,
  RevocationOption,
  VerifierOptions,
} from './verifier-options.js'
export type { Algorithm } from './algorithms.js'
export type { AsymmetricKeyInput, KeyringEntry } from './keys.js'
export type { AuthInfo } from './access-token.js'
export type { RequiredOptions } from './middleware.js'
export type {
  AuthenticatedHandler,
  AuthenticatedLocals,
  AuthenticatedRequest,
} from './authenticated-request.js'
export type { AuthErrorCode, OAuthErrorName } from './errors.js'
