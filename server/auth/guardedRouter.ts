import { Router, type Request, type RequestHandler, type Response, type NextFunction } from 'express'
import { HttpError } from '../errors'
import { csrfProtection } from '../middleware/csrf'
import { decide, type AccessRule } from './access'
import { saveSession } from './session'

type Method = 'get' | 'post'

export interface RouteRule {
  method: Method
  path: string
  rule: AccessRule
}

/** Every route registered through a guarded router, by router, so tests can find any that was not. */
const registry = new WeakMap<object, RouteRule[]>()

export function rulesOf(router: object): RouteRule[] | undefined {
  return registry.get(router)
}

export function requireAccess(rule: AccessRule): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const decision = decide(rule, req.user, req.apiClient)
    if (decision === 'allowed') return next()
    if (decision === 'forbidden') throw new HttpError(403, 'You do not have permission to see this page.', 'forbidden')
    if (req.path.startsWith('/api/') || req.get('accept')?.includes('application/json')) {
      throw new HttpError(401, 'You are not signed in, or your session has ended.', 'unauthorised')
    }
    if (req.method === 'GET') req.session.returnTo = req.originalUrl
    else keepPostedForm(req)
    await saveSession(req)
    res.redirect(303, req.session.signedOutReason ? '/signed-out' : '/sign-in')
  }
}

const maxKeptFormBytes = 100_000

/**
 * A form posted after the session ended (an idle timeout mid-answer) is kept, without its
 * CSRF token, so that after signing in again the same page can offer it back. Forms post to
 * the address of their own page, so that address is where the user returns.
 */
function keepPostedForm(req: Request): void {
  const { _csrf: _token, ...body } = (req.body ?? {}) as Record<string, unknown>
  if (Object.keys(body).length === 0 || JSON.stringify(body).length > maxKeptFormBytes) return
  req.session.pendingForm = { path: req.originalUrl, body, userId: req.session.previousUserId }
  req.session.returnTo = req.originalUrl
}

/**
 * A router whose every route must say who may use it: there is no way to add a route
 * without an access rule. State-changing routes also get CSRF protection, after the
 * access check so that an expired session is sent to sign in rather than shown a CSRF error.
 */
export function guardedRouter() {
  const router = Router()
  const rules: RouteRule[] = []
  registry.set(router, rules)
  const add = (method: Method, path: string, rule: AccessRule, handlers: RequestHandler[]) => {
    rules.push({ method, path, rule })
    const guards = method === 'get' ? [requireAccess(rule)] : [requireAccess(rule), csrfProtection]
    router[method](path, ...guards, ...handlers)
  }
  return {
    router,
    get: (path: string, rule: AccessRule, ...handlers: RequestHandler[]) => add('get', path, rule, handlers),
    post: (path: string, rule: AccessRule, ...handlers: RequestHandler[]) => add('post', path, rule, handlers),
  }
}
