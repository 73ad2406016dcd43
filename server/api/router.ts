import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import type { Options } from 'express-rate-limit'
import type { z } from 'zod'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { DatabaseRateLimitStore } from '../data/rateLimitStore'
import type { Database } from '../db/connection'
import { HttpError, NotFoundError } from '../errors'
import type { Logger } from '../logger'
import type { ApiDeps, Endpoint } from './endpoints'
import { apiBase } from './serialise'
import { endpoints, etagOf } from './v1'

/** `/rounds/{roundId}` (OpenAPI) as `/rounds/:roundId` (Express). */
export function expressPath(openApiPath: string): string {
  return apiBase + openApiPath.replace(/\{(\w+)\}/g, ':$1')
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } })
}

function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'A parameter is not valid'
  const where = issue.path.join('.')
  return where && !issue.message.startsWith(where) ? `${where}: ${issue.message}` : issue.message
}

const codes: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorised',
  404: 'not_found',
  429: 'rate_limited',
  501: 'not_implemented',
}

/** Every API error as `{ "error": { "code", "message" } }`; details of a failure only in the log. */
function apiErrors(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error)
    const status = error instanceof HttpError ? error.status : 500
    if (status >= 500) {
      logger.error({ err: error, url: req.originalUrl }, 'Unhandled error in the API')
      return sendError(res, 500, 'internal_error', 'Something went wrong. Try again later.')
    }
    const known = error as HttpError
    sendError(res, status, codes[status] ?? known.code, known.message)
  }
}

function handlerFor(e: Endpoint, deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const params = e.params.safeParse(req.params)
    if (!params.success) throw new HttpError(400, firstProblem(params.error), 'bad_request')
    const query = e.query.safeParse(req.query)
    if (!query.success) throw new HttpError(400, firstProblem(query.error), 'bad_request')
    const body = await e.handle({ client: req.apiClient!, params: params.data, query: query.data, req, res, deps })
    if (e.response.kind !== 'json') return
    // The response goes out only in its documented shape: a mismatch is a bug, and fails loudly.
    const shaped = e.response.schema.parse(body)
    if (e.response.etag) {
      const tag = etagOf(shaped)
      res.setHeader('ETag', tag)
      const asked = req.get('if-none-match')
      if (asked && asked.split(',').some((t) => t.trim() === tag || t.trim() === '*')) {
        res.status(304).end()
        return
      }
    }
    res.json(shaped)
  }
}

/**
 * The read-only JSON API under /api/v1/, mounted before sessions: a request is who its bearer
 * token says, never a signed-in browser, so it needs no CSRF token and makes no session.
 * Limits are counted in the database, so they hold across every instance: requests per token
 * per minute, and failed tokens per address per 15 minutes (then 429 for further failures).
 * Every refused token is recorded in the audit trail, up to that limit.
 */
export function apiRouter(db: Database, deps: ApiDeps, logger: Logger) {
  const r = guardedRouter()
  const { apiTokens, clock } = deps.services
  const perToken = new DatabaseRateLimitStore(db, 'api-token', clock)
  perToken.init({ windowMs: 60_000 } as Options)
  const failures = new DatabaseRateLimitStore(db, 'api-failures', clock)
  failures.init({ windowMs: 15 * 60_000 } as Options)
  const publicPaths = new Set(endpoints.filter((e) => e.public).map((e) => expressPath(e.path)))

  const tooMany = (res: Response, resetTime: Date | undefined, message: string) => {
    const seconds = Math.max(1, Math.ceil(((resetTime ?? clock()).getTime() - clock().getTime()) / 1000))
    res.setHeader('Retry-After', String(seconds))
    sendError(res, 429, 'rate_limited', message)
  }

  r.router.use(apiBase, async (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store')
    const header = req.get('authorization')
    if (header === undefined) {
      if (publicPaths.has(req.baseUrl + req.path)) return next()
      res.setHeader('WWW-Authenticate', 'Bearer realm="PlaceReady"')
      return sendError(res, 401, 'unauthorised', 'Send an API token in the Authorization header: Bearer <token>.')
    }
    const address = req.ip ?? 'unknown'
    // Past the limit of failed tokens from this address, a failure is only counted (one event
    // records that the limit was reached), so a flood of guesses cannot flood the audit trail,
    // while a valid token from the same address (a shared network) still works.
    const failed = await failures.get(address)
    const overLimit = failed !== undefined && failed.totalHits >= deps.limits.failuresPerAddress
    const secret = /^Bearer +(\S+) *$/i.exec(header)?.[1] ?? ''
    const result = await apiTokens.authenticate(secret, req.ip, req.originalUrl, { record: !overLimit })
    if ('refused' in result) {
      const hits = await failures.increment(address)
      if (overLimit) {
        if (hits.totalHits === deps.limits.failuresPerAddress + 1) await apiTokens.recordFailureLimit(req.ip, req.originalUrl)
        return tooMany(res, hits.resetTime, 'Too many requests with tokens that are not valid from your address. Wait, then try again.')
      }
      res.setHeader('WWW-Authenticate', 'Bearer realm="PlaceReady", error="invalid_token"')
      return sendError(res, 401, 'unauthorised', 'The API token is not valid: it may have been revoked.')
    }
    const hits = await perToken.increment(String(result.client.tokenId))
    const limit = deps.limits.requestsPerMinute
    res.setHeader('RateLimit-Policy', `${limit};w=60`)
    res.setHeader('RateLimit', `limit=${limit}, remaining=${Math.max(0, limit - hits.totalHits)}`)
    if (hits.totalHits > limit) return tooMany(res, hits.resetTime, `Too many requests with this token: at most ${limit} a minute.`)
    req.apiClient = result.client
    next()
  })

  for (const e of endpoints) r.get(expressPath(e.path), e.public ? allow.public : allow.apiToken, handlerFor(e, deps))

  r.router.use(apiBase, (_req: Request, _res: Response, next: NextFunction) =>
    next(new NotFoundError('There is nothing at this address in the API')),
  )
  r.router.use(apiBase, apiErrors(logger))
  return r.router
}
