import type { Request, RequestHandler, Response } from 'express'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { regenerateSession, safeReturnPath, saveSession, startSignedInSession, type SignedOutReason } from '../auth/session'
import { forgottenPasswordForm, newPasswordForm, signInForm } from '../forms/account'
import { formErrorView } from '../forms/errors'
import { asText } from '../forms/fields'
import { parseForm } from '../forms/parse'
import { provideCsrfToken } from '../middleware/csrf'
import type { AccountService } from '../services/accountService'
import type { InvitationService } from '../services/invitationService'
import { handleForm, type FormState } from './forms'

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

/** The e-mail address as typed, to show again (never the password). */
function typedEmail(body: unknown): string {
  return asText((body as Record<string, unknown> | undefined)?.email).slice(0, 320)
}

function renderSignIn(req: Request, res: Response, { errors }: FormState): void {
  res.render('pages/sign-in', { title: 'Sign in', values: { email: typedEmail(req.body) }, ...formErrorView(errors) })
}

/** Sign-in, sign-out, forgotten password and invitation acceptance: the pages anyone can reach. */
export function authRoutes({ accounts, invitations, clock, limits }: AuthRouteDeps) {
  const r = guardedRouter()

  r.get('/sign-in', allow.public, provideCsrfToken, (req, res) => {
    if (req.user) return res.redirect(303, '/home')
    const returnTo = safeReturnPath(req.query.returnTo)
    if (returnTo) req.session.returnTo = returnTo
    res.render('pages/sign-in', { title: 'Sign in', values: {}, ...formErrorView([]) })
  })

  r.post(
    '/sign-in',
    allow.public,
    limits.signIn,
    provideCsrfToken,
    handleForm(renderSignIn, async (req, res) => {
      const input = parseForm(signInForm, req.body)
      const result = await accounts.signIn(input.email, input.password, req.ip)
      if (!result.ok) {
        res.status(401)
        return renderSignIn(req, res, { errors: [{ text: 'Enter a correct email address and password', href: '#email' }], values: {} })
      }
      const returnTo = await startSignedInSession(req, result.user.id, clock())
      res.redirect(303, safeReturnPath(returnTo) ?? '/home')
    }),
  )

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

  const renderForgotten = (req: Request, res: Response, { errors }: FormState) =>
    res.render('pages/forgotten-password', {
      title: 'Reset your password',
      values: { email: typedEmail(req.body) },
      ...formErrorView(errors),
    })

  r.post(
    '/forgotten-password',
    allow.public,
    limits.tokens,
    provideCsrfToken,
    handleForm(renderForgotten, async (req, res) => {
      const { email } = parseForm(forgottenPasswordForm, req.body)
      await accounts.requestPasswordReset(email, req.ip)
      // The same answer whether or not the account exists.
      res.render('pages/forgotten-password-sent', { title: 'Check your email', email })
    }),
  )

  const showTokenProblem = (res: Response, problem: keyof typeof tokenProblems) => {
    const page = tokenProblems[problem]
    res
      .status(problem === 'unknown' ? 404 : problem === 'deactivated' ? 403 : 410)
      .render('pages/link-problem', { title: page.title, text: page.text })
  }

  const renderReset = (req: Request, res: Response, { errors }: FormState) =>
    res.render('pages/reset-password', { title: 'Choose a new password', token: req.params.token, ...formErrorView(errors) })

  r.get('/reset-password/:token', allow.public, provideCsrfToken, async (req, res) => {
    const problem = await accounts.checkPasswordResetToken(String(req.params.token))
    if (problem) return showTokenProblem(res, problem)
    renderReset(req, res, { errors: [], values: {} })
  })

  r.post(
    '/reset-password/:token',
    allow.public,
    limits.tokens,
    provideCsrfToken,
    handleForm(renderReset, async (req, res) => {
      const token = String(req.params.token)
      const problem = await accounts.checkPasswordResetToken(token)
      if (problem) return showTokenProblem(res, problem)
      const { password } = parseForm(newPasswordForm(), req.body)
      const result = await accounts.resetPassword(token, password, req.ip)
      if (!result.ok) return showTokenProblem(res, result.problem)
      await startSignedInSession(req, result.user.id, clock())
      res.redirect(303, '/home')
    }),
  )

  const renderInvitation = async (req: Request, res: Response, { errors }: FormState) => {
    const checked = await invitations.check(String(req.params.token))
    if (!checked.ok) return showTokenProblem(res, checked.problem)
    res.render('pages/accept-invitation', {
      title: 'Accept your invitation',
      invitation: checked.invitation,
      token: req.params.token,
      ...formErrorView(errors),
    })
  }

  r.get('/invitations/:token', allow.public, provideCsrfToken, (req, res) => renderInvitation(req, res, { errors: [], values: {} }))

  r.post(
    '/invitations/:token',
    allow.public,
    limits.tokens,
    provideCsrfToken,
    handleForm(renderInvitation, async (req, res) => {
      const token = String(req.params.token)
      const checked = await invitations.check(token)
      if (!checked.ok) return showTokenProblem(res, checked.problem)
      // Someone who already has an account keeps their password: accepting only adds the role.
      const password = checked.invitation.existingAccount
        ? undefined
        : parseForm(newPasswordForm(checked.invitation.email), req.body).password
      const result = await invitations.accept(token, password, req.ip)
      if (!result.ok) return showTokenProblem(res, result.problem)
      await startSignedInSession(req, result.userId, clock())
      res.redirect(303, '/home')
    }),
  )

  return r.router
}
