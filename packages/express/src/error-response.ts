/** The one JSON rendering of our errors: `{ error, error_description, code }` with status and headers. */
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express'
import { AuthError } from './errors.js'

export function sendError(res: Response, error: AuthError): void {
  res.status(error.status).set(error.headers).json(error.toJSON())
}

/**
 * `auth.errorHandler()`: renders our errors; anything else goes on to the app. It reports nothing:
 * our refusals were reported when they were handed to `next`.
 */
export function errorHandler(): ErrorRequestHandler {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof AuthError) || res.headersSent) {
      next(error)
      return
    }
    sendError(res, error)
  }
}
