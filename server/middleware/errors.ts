import type { ErrorRequestHandler, RequestHandler } from 'express'
import { HttpError, NotFoundError, ValidationError } from '../errors'
import type { Logger } from '../logger'

const titles: Record<number, string> = {
  400: 'There is a problem with your request',
  403: 'You cannot do that',
  404: 'Page not found',
  413: 'What you sent is too large',
  415: 'What you sent could not be read',
  429: 'Too many attempts',
  503: 'Sorry, the service is unavailable',
}

function wantsJson(path: string, accept: string | undefined): boolean {
  return path.startsWith('/api/') || (accept !== undefined && accept.includes('application/json') && !accept.includes('text/html'))
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new NotFoundError())
}

/**
 * The single error handler: maps the domain errors (../errors.ts) and Express's own to a status,
 * a page in the layout for people, JSON for API clients, and a
 * stack trace only in the log (never in the response) outside development.
 */
export function errorHandler(logger: Logger, production: boolean): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error)
    if ((error as { code?: string } | null)?.code === 'EBADCSRFTOKEN') {
      res.status(403)
      if (wantsJson(req.path, req.get('accept'))) {
        res.json({ error: { code: 'csrf', message: 'The form token is missing or out of date. Reload the page and try again.' } })
        return
      }
      res.render('errors/csrf', { title: 'This page has expired' })
      return
    }
    const raw = error as { status?: number; statusCode?: number; type?: string; expose?: boolean; message?: string; code?: string }
    const status = error instanceof HttpError ? error.status : (raw.status ?? raw.statusCode ?? 500)
    const known = status < 500
    if (!known) logger.error({ err: error, url: req.originalUrl }, 'Unhandled error')
    const message = error instanceof HttpError || raw.expose ? (raw.message ?? '') : ''
    res.status(status)
    if (wantsJson(req.path, req.get('accept'))) {
      const code = error instanceof HttpError ? error.code : status === 404 ? 'not_found' : known ? 'bad_request' : 'internal_error'
      const errors = error instanceof ValidationError ? { errors: error.errors } : {}
      res.json({ error: { code, message: known ? message || titles[status] || 'Bad request' : 'Something went wrong', ...errors } })
      return
    }
    if (status === 404) {
      res.render('errors/404', { title: titles[404] })
      return
    }
    if (known) {
      res.render('errors/problem', { title: titles[status] ?? titles[400], message })
      return
    }
    res.render('errors/500', {
      title: 'Sorry, there is a problem with the service',
      stack: production ? undefined : (error as Error).stack,
    })
  }
}
