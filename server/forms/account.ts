import { z } from 'zod'
import { passwordProblem } from '../auth/passwordPolicy'
import { asText, email } from './fields'

export const signInForm = z.object({
  email: email('Enter your email address'),
  password: z.preprocess(asText, z.string().min(1, 'Enter your password').max(200, 'Password must be 200 characters or fewer')),
})

export const forgottenPasswordForm = z.object({ email: email('Enter your email address') })

/**
 * A new password and its confirmation, checked against the password policy (which also
 * refuses a password made from the account's e-mail address).
 */
export function newPasswordForm(accountEmail?: string) {
  return z
    .object({ password: z.preprocess(asText, z.string()), confirmPassword: z.preprocess(asText, z.string()) })
    .superRefine(({ password, confirmPassword }, ctx) => {
      const problem = passwordProblem(password, accountEmail)
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['password'] })
      else if (confirmPassword !== password)
        ctx.addIssue({ code: 'custom', message: 'The passwords do not match – enter the same password twice', path: ['confirmPassword'] })
    })
    .transform(({ password }) => ({ password }))
}
