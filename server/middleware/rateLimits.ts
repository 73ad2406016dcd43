import type { Request, RequestHandler, Response } from 'express'
import { rateLimit } from 'express-rate-limit'
import type { Database } from '../db/connection'
import { DatabaseRateLimitStore } from '../data/rateLimitStore'

export interface RateLimitSettings {
  /** Attempts allowed per window from one address. */
  limit: number
  windowMinutes: number
}

/**
 * A limit on attempts from one address, counted in the database so it holds across every
 * instance. `onLimited` renders the page the user was on, with their input kept.
 */
export function databaseRateLimit(
  db: Database,
  name: string,
  settings: RateLimitSettings,
  clock: () => Date,
  onLimited: (req: Request, res: Response) => void,
): RequestHandler {
  return rateLimit({
    windowMs: settings.windowMinutes * 60 * 1000,
    limit: settings.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: new DatabaseRateLimitStore(db, name, clock),
    handler: (req, res) => {
      res.status(429)
      onLimited(req, res)
    },
  })
}
