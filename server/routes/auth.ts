import type { Request, RequestHandler, Response } from 'express'
import { z } from 'zod'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { passwordProblem } from '../auth/passwordPolicy'
import { regenerateSession, safeReturnPath, saveSession, startSignedInSession, type SignedOutReason } from '../auth/session'
import { formErrorView, fromZod, type FormError } from '../forms/errors'
import { provideCsrfToken } from '../middleware/csrf'
import type { AccountService } from '../services/accountService'
import type { InvitationService } from '../services/invitationService'

const emailField = z
  .string()
  .trim()
  .min(1, 'Enter your email address')
  .max(320, 'Email address must be 320 characters or fewer')
  .pipe(z.email('Enter an email address in the correct format, like name@example.org'))

const signInForm = z.object({
  email: emailField,
  password: z.string().min(1, 'Enter your password').max(200, 'Password must be 200 characters or fewer'),
})

const forgottenForm = z.object({ email: emailField })

const tokenProblems = {
  unknown: {
    title: 'This link is not valid',
    text: 'Check you opened the whole link from the e-mail. If it still does not work, ask for a new one.',
  },
  expired: { title: 'This link has expired', text: 'Links in PlaceReady e-mails work for a limited time. Ask for a new one.' },
  used: { title: 'This link has already been used', text: 'Each link works once. If that was you, sign in with your password.' },
  revoked: {
    title: 'This link has been withdrawn',
    text: 'The invitation was revoked or replaced by a newer one. Use the link in the newest e-mail, or ask for a new invitation.',
  },
  deactivated: {
    title: 'Your account has been deactivated',
    text: 'This link cannot be used while your PlaceReady account is deactivated. Ask your ICS lead to reactivate it.',
  },
}

const signedOutMessages: Record<SignedOutReason, string> = {
  idle: 'You were signed out because you did nothing for 30 minutes. Anything you had saved is safe.',
  expired: 'You were signed out because you had been signed in for 12 hours. Anything you had saved is safe.',
  ended: 'You were signed out. Your session was ended, for example because your account was changed.',
  'signed-out': 'You have signed out.',
}

export interface AuthRouteDeps {
  accounts: AccountService
  invitations: InvitationService
  clock: () => Date
  limits: { signIn: RequestHandler; tokens: RequestHandler }
}

function renderSignIn(res: Response, values: { email?: string }, errors: FormError[], status = 200): void {
  res.status(status).render('pages/sign-in', { title: 'Sign in', values, ...formErrorView(errors) })
}

/** Sign-in, sign-out, forgotten password and invitation acceptance: the pages anyone can reach. */
export function authRoutes({ accounts, invitations, clock, limits }: AuthRouteDeps) {
  const r = guardedRouter()

  r.get('/sign-in', allow.public, provideCsrfToken, (req, res) => {
    if (req.user) return res.redirect(303, '/home')
    const returnTo = safeReturnPath(req.query.returnTo)
    if (returnTo) req.session.returnTo = returnTo
    renderSignIn(res, {}, [])
  })

  r.post('/sign-in', allow.public, limits.signIn, provideCsrfToken, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const typedEmail = typeof body.email === 'string' ? body.email.slice(0, 320) : ''
    const parsed = signInForm.safeParse(body)
    if (!parsed.success) return renderSignIn(res, { email: typedEmail }, fromZod(parsed.error), 400)
    const result = await accounts.signIn(parsed.data.email, parsed.data.password, req.ip)
    if (!result.ok) {
      return renderSignIn(res, { email: typedEmail }, [{ text: 'Enter a correct email address and password', href: '#email' }], 401)
    }
    const returnTo = await startSignedInSession(req, result.user.id, clock())
    res.redirect(303, safeReturnPath(returnTo) ?? '/home')
  })

  r.post('/sign-out', allow.public, async (req, res) => {
    if (req.session.userId !== undefined) await accounts.recordSignOut(req.session.userId, req.ip)
    await regenerateSession(req)
    req.session.signedOutReason = 'signed-out'
    await saveSession(req)
    res.redirect(303, '/signed-out')
  })

  r.get('/signed-out', allow.public, (req, res) => {
    if (req.user) return res.redirect(303, '/home')
    const reason = req.session.signedOutReason ?? 'signed-out'
    res.render('pages/signed-out', {
      title: reason === 'signed-out' ? 'You have signed out' : 'You were signed out',
      message: signedOutMessages[reason],
      willReturn: Boolean(req.session.returnTo),
    })
  })

  r.get('/forgotten-password', allow.public, provideCsrfToken, (_req, res) => {
    res.render('pages/forgotten-password', { title: 'Reset your password', values: {} })
  })

  r.post('/forgotten-password', allow.public, limits.tokens, provideCsrfToken, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const parsed = forgottenForm.safeParse(body)
    if (!parsed.success) {
      return res.status(400).render('pages/forgotten-password', {
        title: 'Reset your password',
        values: { email: typeof body.email === 'string' ? body.email.slice(0, 320) : '' },
        ...formErrorView(fromZod(parsed.error)),
      })
    }
    await accounts.requestPasswordReset(parsed.data.email, req.ip)
    // The same answer whether or not the account exists.
    res.render('pages/forgotten-password-sent', { title: 'Check your email', email: parsed.data.email })
  })

  const showTokenProblem = (res: Response, problem: keyof typeof tokenProblems) => {
    const page = tokenProblems[problem]
    res
      .status(problem === 'unknown' ? 404 : problem === 'deactivated' ? 403 : 410)
      .render('pages/link-problem', { title: page.title, text: page.text })
  }

  const renderReset = (req: Request, res: Response, errors: FormError[], status = 200) =>
    res.status(status).render('pages/reset-password', { title: 'Choose a new password', token: req.params.token, ...formErrorView(errors) })

  r.get('/reset-password/:token', allow.public, provideCsrfToken, async (req, res) => {
    const problem = await accounts.checkPasswordResetToken(String(req.params.token))
    if (problem) return showTokenProblem(res, problem)
    renderReset(req, res, [])
  })

  r.post('/reset-password/:token', allow.public, limits.tokens, provideCsrfToken, async (req, res) => {
    const token = String(req.params.token)
    const problem = await accounts.checkPasswordResetToken(token)
    if (problem) return showTokenProblem(res, problem)
    const errors = newPasswordErrors(req.body as Record<string, unknown>)
    if (errors.length > 0) return renderReset(req, res, errors, 400)
    const result = await accounts.resetPassword(token, String((req.body as Record<string, unknown>).password), req.ip)
    if (!result.ok) return showTokenProblem(res, result.problem)
    await startSignedInSession(req, result.user.id, clock())
    res.redirect(303, '/home')
  })

  const renderInvitation = async (req: Request, res: Response, errors: FormError[], status = 200) => {
    const checked = await invitations.check(String(req.params.token))
    if (!checked.ok) return showTokenProblem(res, checked.problem)
    res.status(status).render('pages/accept-invitation', {
      title: 'Accept your invitation',
      invitation: checked.invitation,
      token: req.params.token,
      ...formErrorView(errors),
    })
  }

  r.get('/invitations/:token', allow.public, provideCsrfToken, (req, res) => renderInvitation(req, res, []))

  r.post('/invitations/:token', allow.public, limits.tokens, provideCsrfToken, async (req, res) => {
    const token = String(req.params.token)
    const checked = await invitations.check(token)
    if (!checked.ok) return showTokenProblem(res, checked.problem)
    const body = req.body as Record<string, unknown>
    let password: string | undefined
    if (!checked.invitation.existingAccount) {
      const errors = newPasswordErrors(body, checked.invitation.email)
      if (errors.length > 0) return renderInvitation(req, res, errors, 400)
      password = String(body.password)
    }
    const result = await invitations.accept(token, password, req.ip)
    if (!result.ok) return showTokenProblem(res, result.problem)
    await startSignedInSession(req, result.userId, clock())
    res.redirect(303, '/home')
  })

  return r.router
}

/** A new password and its confirmation, checked against the password policy. */
function newPasswordErrors(body: Record<string, unknown>, email?: string): FormError[] {
  const password = typeof body.password === 'string' ? body.password : ''
  const confirmation = typeof body.confirmPassword === 'string' ? body.confirmPassword : ''
  const problem = passwordProblem(password, email)
  const errors: FormError[] = []
  if (problem) errors.push({ text: problem, href: '#password' })
  if (!problem && confirmation !== password)
    errors.push({ text: 'The passwords do not match – enter the same password twice', href: '#confirmPassword' })
  return errors
}
