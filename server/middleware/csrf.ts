import type { Request, RequestHandler } from 'express'
import { csrfSync } from 'csrf-sync'

const { csrfSynchronisedProtection, generateToken } = csrfSync({
  // Forms send it as a field; scripts (autosave) as a header.
  getTokenFromRequest: (req: Request) => {
    const body = req.body as Record<string, unknown> | undefined
    const field = body?._csrf
    return typeof field === 'string' ? field : req.get('x-csrf-token')
  },
})

export const csrfProtection: RequestHandler = csrfSynchronisedProtection

export function csrfToken(req: Request): string {
  return generateToken(req)
}

/**
 * Makes the token available to the page. Signed-in users get it on every page (for the
 * sign-out button); public form pages ask for it, so anonymous readers of other pages
 * never get a session row created for them.
 */
export const provideCsrfToken: RequestHandler = (req, res, next) => {
  res.locals.csrfToken = csrfToken(req)
  // The token belongs to this visitor's session: a page holding it is never cached.
  res.set('Cache-Control', 'no-store')
  next()
}

export const provideCsrfTokenWhenSignedIn: RequestHandler = (req, res, next) => {
  if (req.user) res.locals.csrfToken = csrfToken(req)
  next()
}

export function isCsrfError(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'EBADCSRFTOKEN'
}
