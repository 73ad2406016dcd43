import type { Request, RequestHandler, Response } from 'express'
import { HttpError, ValidationError } from '../errors'
import type { Actor } from '../auth/types'
import type { FormError } from '../forms/errors'

/** A form as a page shows it: its errors, and the values in its fields. */
export interface FormState {
  errors: FormError[]
  values: Record<string, unknown>
}

export const blankForm: FormState = { errors: [], values: {} }

/** Renders a page with its form; the status is already set (400 when showing errors). */
export type ShowForm = (req: Request, res: Response, form: FormState) => Promise<void> | void

/** What was typed into a form, to show again: every posted field but the CSRF token. */
export function typedValues(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null) return {}
  const { _csrf: _token, ...values } = body as Record<string, unknown>
  return values
}

/**
 * The one way a route answers a form with bad input. It runs `handle`; when that throws a
 * ValidationError – from the form's schema (parseForm) or from a rule the service checks – the
 * status becomes 400 and `show` renders the page again with the errors and everything typed.
 */
export function handleForm(show: ShowForm, handle: (req: Request, res: Response) => Promise<unknown>): RequestHandler {
  return async (req, res) => {
    try {
      await handle(req, res)
    } catch (error) {
      if (!(error instanceof ValidationError) || res.headersSent) throw error
      res.status(400)
      await show(req, res, { errors: error.errors, values: typedValues(req.body) })
    }
  }
}

/** The signed-in user making the request, and where from: what services record in the audit trail. */
export function actorOf(req: Request): Actor {
  // Routes that act for a user are guarded by a role, so a user is always there; this only guards a mistake.
  if (!req.user) throw new HttpError(401, 'You are not signed in, or your session has ended.', 'unauthorised')
  return { user: req.user, ip: req.ip }
}
