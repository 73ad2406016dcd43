import type { NextFunction, Request, RequestHandler, Response } from 'express'
import session from 'express-session'
import type { AppConfig } from '../config'
import type { DatabaseSessionStore } from '../data/sessionStore'
import type { AccountService } from '../services/accountService'
import type { CurrentUser } from './types'

export const idleTimeoutMs = 30 * 60 * 1000
export const absoluteTimeoutMs = 12 * 60 * 60 * 1000
/** lastSeenAt is rewritten at most this often, so reading pages does not write a row per request. */
const lastSeenResolutionMs = 60 * 1000

export type SignedOutReason = 'idle' | 'expired' | 'ended' | 'signed-out'

declare module 'express-session' {
  interface SessionData {
    userId: number
    signedInAt: number
    lastSeenAt: number
    returnTo: string
    signedOutReason: SignedOutReason
    /** A form posted after the session ended, kept so the page can show it again after sign-in. */
    pendingForm: { path: string; body: Record<string, unknown>; userId: number | undefined }
    /** Who was signed in before a timeout, so a kept form goes back only to them. */
    previousUserId: number
    /** How many posted forms this signed-out session has kept (each replaces the last). */
    keptForms: number
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    user?: CurrentUser
  }
}

export const sessionCookieName = 'placeready.sid'

export function sessionMiddleware(config: AppConfig, store: DatabaseSessionStore, secret: string): RequestHandler {
  return session({
    name: sessionCookieName,
    secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.production,
      maxAge: absoluteTimeoutMs,
      path: '/',
    },
  })
}

export function regenerateSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((error: unknown) => (error ? reject(error as Error) : resolve())))
}

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error: unknown) => (error ? reject(error as Error) : resolve())))
}

/** Public pages that never keep anything in a visitor's session. */
const sessionlessPages = new Set(['/', '/framework', '/schemas/framework.json', '/developers/api'])

/**
 * A visitor without a session cookie reading a public page gets no session at all: express-session
 * would make one (a random id, its hash) only to throw it away, as nothing is stored, on the pages
 * read most by people who are not signed in. Anyone with a session cookie gets theirs as usual.
 */
export function needsNoSession(req: Request): boolean {
  return (
    (req.method === 'GET' || req.method === 'HEAD') &&
    sessionlessPages.has(req.path) &&
    !(req.headers.cookie?.includes(`${sessionCookieName}=`) ?? false)
  )
}

/** Only a path on this site may be returned to, never another origin. */
export function safeReturnPath(value: unknown): string | undefined {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) && !value.startsWith('/sign-in') && !value.startsWith('/signed-out')
    ? value
    : undefined
}

/**
 * Starts a signed-in session: a new session id (so a fixed id cannot be hijacked), the
 * user id, and the clocks for the idle and absolute timeouts.
 */
export async function startSignedInSession(req: Request, userId: number, now: Date): Promise<string | undefined> {
  const returnTo = req.session.returnTo
  const pendingForm = req.session.pendingForm
  await regenerateSession(req)
  if (pendingForm && returnTo === pendingForm.path && pendingForm.userId === userId) req.session.pendingForm = pendingForm
  req.session.userId = userId
  req.session.signedInAt = now.getTime()
  req.session.lastSeenAt = now.getTime()
  await saveSession(req)
  return returnTo
}

/**
 * Loads the signed-in user on every request. A session past its idle or absolute timeout,
 * or of a user who has been deactivated, is ended here, and the next page explains why.
 */
export function loadCurrentUser(accounts: AccountService, clock: () => Date, sessions: DatabaseSessionStore): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    // No session at all: a visitor reading a public page (needsNoSession).
    if ((req.session as typeof req.session | undefined) === undefined) return next()
    const userId = req.session.userId
    if (userId === undefined) return next()
    // The session store read the user with the session, in one query; read it here only if it did not.
    const read = sessions.takeUserReadWith(req.sessionID, userId)
    const now = clock().getTime()
    const lastSeen = req.session.lastSeenAt ?? 0
    let reason: SignedOutReason | undefined
    if (now - lastSeen > idleTimeoutMs) reason = 'idle'
    else if (now - (req.session.signedInAt ?? 0) > absoluteTimeoutMs) reason = 'expired'
    const user = reason ? undefined : read ? read.user : await accounts.currentUser(userId)
    if (!user) {
      await regenerateSession(req)
      req.session.signedOutReason = reason ?? 'ended'
      req.session.previousUserId = userId
      return next()
    }
    req.user = user
    res.locals.currentUser = user
    // What a signed-in person sees is theirs alone: no browser or proxy may keep a copy (the back
    // button after signing out on a shared computer, a shared cache).
    res.set('Cache-Control', 'no-store')
    if (now - lastSeen > lastSeenResolutionMs) req.session.lastSeenAt = now
    next()
  }
}
