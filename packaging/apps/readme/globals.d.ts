// What the README samples leave to the reader ("your prompt", "your UI", a store of your own):
// declared here so each sample compiles as written. A sample that defines one of these shadows it.
declare function checkPassword(username: string, password: string): Promise<boolean>
declare function deleteUser(
  req: import('@baton/express').AuthenticatedRequest<{ id: string }>,
  res: import('express').Response,
): void
declare const api: import('@baton/fetch').AuthFetch
declare const url: string
declare const refreshUrl: string
declare const host: string
declare const password: string
declare function showLogin(): void
declare function showSignedOut(): void
declare function promptCredentials(): Promise<{ username: string; password: string }>
declare const loginDialog: {
  open(options: { signal: AbortSignal }): Promise<{ username: string; password: string }>
}
declare const logoutButton: HTMLElement
declare const MyStore: new () => import('@baton/express').SessionStore & {
  close(): Promise<void>
}

// The store contract sample runs under tap; its `t` is whatever sessionStoreContract takes.
declare module 'tap' {
  const t: Parameters<typeof import('@baton/express/testing').sessionStoreContract>[0]
  export default t
}
