/**
 * The types that let TypeScript see `req.auth` where `auth.required()` guarantees it.
 *
 * Express's typings give every handler of one route the same `Request<P, ResBody, ReqBody,
 * ReqQuery, Locals>`, inferred from all the handlers passed together: a middleware cannot add a
 * property for the handlers after it. What it can do is take part in that inference. The handler
 * `auth.required()` returns is typed with `AuthenticatedLocals` as its `Locals`, so every handler
 * of its route is too; the opt-in `@baton/express/augment` declares `req.auth` as `AuthInfo` on a
 * request whose locals carry that mark, and as `AuthInfo | undefined` on any other.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { AuthInfo } from './access-token.js'

/**
 * The mark's key. Type-only: there is no such value at run time and nothing is ever stored under
 * it; optional, so a marked route still takes Express's other handlers and any `res.locals`. A
 * symbol, because only the key list tells a marked `Locals` from Express's default
 * `Record<string, any>`, whose keys are every string.
 */
export declare const authenticated: unique symbol

/** The `res.locals` type of a route that passed `auth.required()`: a mark for the type checker only. */
export interface AuthenticatedLocals {
  readonly [authenticated]?: true
}

/**
 * Express's own defaults for a handler's type parameters, as a bare `RequestHandler` has them
 * (`req.body` is Express's `any`): the types below change `Locals` only, never how a route's
 * params or bodies are typed.
 */
type Defaults =
  RequestHandler extends RequestHandler<infer P, infer ResBody, infer ReqBody, infer ReqQuery>
    ? { params: P; resBody: ResBody; reqBody: ReqBody; query: ReqQuery }
    : never

/**
 * A request that passed `auth.required()`, for handlers written apart from their route:
 * `function me(req: AuthenticatedRequest, res: Response) { res.json(req.auth.sub) }`.
 * The parameters are those of Express's `Request`: `P` types `req.params`, `ReqBody` `req.body`.
 */
export type AuthenticatedRequest<
  P = Defaults['params'],
  ResBody = Defaults['resBody'],
  ReqBody = Defaults['reqBody'],
  ReqQuery = Defaults['query'],
> = Request<P, ResBody, ReqBody, ReqQuery, AuthenticatedLocals> & { auth: AuthInfo }

/**
 * What `auth.required()` returns: Express's default request handler, marking its route. Express
 * infers a route's types from the last call signature, the marked one; the first lets the
 * middleware also be called by hand with any request (as a unit test does).
 */
export interface AuthenticatedHandler {
  (req: Request, res: Response, next: NextFunction): void
  (
    req: Request<
      Defaults['params'],
      Defaults['resBody'],
      Defaults['reqBody'],
      Defaults['query'],
      AuthenticatedLocals
    >,
    res: Response<Defaults['resBody'], AuthenticatedLocals>,
    next: NextFunction,
  ): void
}
