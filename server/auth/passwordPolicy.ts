import fs from 'node:fs'
import path from 'node:path'

export const minimumPasswordLength = 12
export const maximumPasswordLength = 200

const commonPasswords = new Set(
  fs
    .readFileSync(path.join(__dirname, 'common-passwords.txt'), 'utf8')
    .split('\n')
    .map((p) => p.trim().toLowerCase())
    .filter(Boolean),
)

/**
 * NCSC/NIST-style rules: length over complexity, and no password from a list of ones that
 * attackers try first. Returns the message to show, or undefined when the password is fine.
 */
export function passwordProblem(password: string, email?: string): string | undefined {
  if (password.length === 0) return 'Enter a password'
  if (password.length < minimumPasswordLength) return `Password must be ${minimumPasswordLength} characters or more`
  if (password.length > maximumPasswordLength) return `Password must be ${maximumPasswordLength} characters or fewer`
  const lower = password.toLowerCase()
  if (commonPasswords.has(lower) || /^(.)\1+$/.test(password)) {
    return 'Password is too common – choose one that is harder to guess, such as three random words'
  }
  const localPart = email?.split('@')[0]?.toLowerCase()
  if (localPart && localPart.length >= 4 && lower.includes(localPart)) return 'Password must not contain your email address'
  return undefined
}
