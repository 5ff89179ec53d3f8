/**
 * The little of oidc-provider (which ships no types) that the test against it uses: a provider
 * whose `callback()` serves HTTP, and its Client, Grant and RefreshToken models to mint the
 * first refresh token without driving a login page.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  interface Model {
    save(): Promise<string>
  }
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    on(event: string, listener: (...args: unknown[]) => void): void
    readonly Client: { find(id: string): Promise<unknown> }
    readonly Grant: new (init: { accountId: string; clientId: string }) => Model & {
      addOIDCScope(scope: string): void
    }
    readonly RefreshToken: new (init: Record<string, unknown>) => Model
  }
}
