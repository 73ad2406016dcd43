import { Router, type Request, type RequestHandler, type Response, type NextFunction } from 'express'
import { HttpError } from '../errors'
import { acceptBody, ordinaryFormBody, parseBody, readBody, type BodyRule } from '../middleware/body'
import { csrfProtection } from '../middleware/csrf'
import { decide, type AccessRule } from './access'
import { saveSession } from './session'

type Method = 'get' | 'post'

export interface RouteRule {
  method: Method
  path: string
  rule: AccessRule
  /** The body a state-changing route takes. */
  body?: BodyRule | undefined
}

/** Every route registered through a guarded router, by router, so tests can find any that was not. */
const registry = new WeakMap<object, RouteRule[]>()

export function rulesOf(router: object): RouteRule[] | undefined {
  return registry.get(router)
}

export function requireAccess(rule: AccessRule, body: BodyRule = ordinaryFormBody): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const decision = decide(rule, req.user, req.apiClient)
    if (decision === 'allowed') return next()
    if (decision === 'forbidden') throw new HttpError(403, 'You do not have permission to see this page.', 'forbidden')
    if (req.path.startsWith('/api/') || req.get('accept')?.includes('application/json')) {
      throw new HttpError(401, 'You are not signed in, or your session has ended.', 'unauthorised')
    }
    const signedOutReason = req.session.signedOutReason
    if (req.method === 'GET') {
      req.session.returnTo = req.originalUrl
      await saveSession(req)
    } else if (req.session.previousUserId !== undefined) {
      // Someone signed in a moment ago (an idle timeout mid-answer): keep what they sent.
      await readBody(req, res, body)
      if (keepPostedForm(req, body)) await saveSession(req)
    }
    // Anyone else posting is only sent to sign in: nothing they sent is read or stored.
    res.redirect(303, signedOutReason ? '/signed-out' : '/sign-in')
  }
}

/** A session whose user timed out keeps at most this many posted forms, one at a time. */
const maxKeptForms = 20

/**
 * A form posted after the session ended (an idle timeout mid-answer) is kept, without its
 * CSRF token, so that after signing in again the same page can offer it back, to the same
 * person only. Forms post to the address of their own page, so that address is where the user
 * returns. It is kept only for a session that belonged to a signed-in user, no larger than the
 * route's largest valid form, and at most maxKeptForms times, each replacing the last.
 */
function keepPostedForm(req: Request, rule: BodyRule): boolean {
  const { _csrf: _token, ...body } = req.body as Record<string, unknown>
  const kept = req.session.keptForms ?? 0
  if (Object.keys(body).length === 0 || kept >= maxKeptForms) return false
  if (Buffer.byteLength(JSON.stringify(body)) > rule.limitBytes) return false
  req.session.pendingForm = { path: req.originalUrl, body, userId: req.session.previousUserId }
  req.session.returnTo = req.originalUrl
  req.session.keptForms = kept + 1
  return true
}

/** What a route says about itself: who may use it and, for a state change, what body it takes. */
export type RouteAccess = AccessRule | { access: AccessRule; body: BodyRule }

/**
 * A router whose every route must say who may use it: there is no way to add a route
 * without an access rule. State-changing routes also get CSRF protection, after the
 * access check so that an expired session is sent to sign in rather than shown a CSRF error.
 */
export function guardedRouter() {
  const router = Router()
  const rules: RouteRule[] = []
  registry.set(router, rules)
  const add = (method: Method, path: string, access: RouteAccess, handlers: RequestHandler[]) => {
    const { rule, body } = 'access' in access ? { rule: access.access, body: access.body } : { rule: access, body: ordinaryFormBody }
    rules.push({ method, path, rule, body: method === 'get' ? undefined : body })
    // A state change: the kind of body is checked first (from its headers alone), then who is
    // asking, and only then is the body read, so nobody's body is read before they may post it.
    const guards = method === 'get' ? [requireAccess(rule)] : [acceptBody(body), requireAccess(rule, body), parseBody(body), csrfProtection]
    router[method](path, ...guards, ...handlers)
  }
  return {
    router,
    get: (path: string, rule: AccessRule, ...handlers: RequestHandler[]) => add('get', path, rule, handlers),
    post: (path: string, access: RouteAccess, ...handlers: RequestHandler[]) => add('post', path, access, handlers),
  }
}
