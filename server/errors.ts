import type { FormError } from './forms/errors'

/**
 * Domain errors: what services, routes and guards throw when a request cannot go on. They
 * depend on nothing in the web layer; the error handler (middleware/errors.ts) maps each to a
 * status code and a page or a JSON body.
 */

/** An error that carries the status and the message a user should see. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string = 'error',
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

/** Not there, or not the user's to see: the same answer for both, so nothing leaks. */
export class NotFoundError extends HttpError {
  constructor(message = 'Page not found') {
    super(404, message, 'not_found')
    this.name = 'NotFoundError'
  }
}

export class ForbiddenError extends HttpError {
  constructor(message = 'You do not have permission to see this page.') {
    super(403, message, 'forbidden')
    this.name = 'ForbiddenError'
  }
}

/**
 * Input that breaks a rule, with one message per problem for the error summary and the
 * field it belongs to. A route that can show the form again catches it and re-renders with
 * 400; one that cannot leaves it to the error handler, which answers 400 with the messages.
 */
export class ValidationError extends HttpError {
  constructor(readonly errors: FormError[]) {
    super(400, errors.map((e) => e.text).join('. '), 'validation')
    this.name = 'ValidationError'
  }
}
