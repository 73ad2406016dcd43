import type { Page } from 'playwright-core'
import { demoPassword } from './server'

/**
 * Steps that several journeys share, done as a user does them: through the pages, with the mouse.
 * Each waits for the page it leads to, so a journey reads as a list of steps.
 */

export async function signIn(page: Page, email: string, password = demoPassword): Promise<void> {
  await page.goto('/sign-in')
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL('**/home')
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.waitForURL('**/signed-out')
}

export interface Invitee {
  name: string
  email: string
  /** The role's label on the form, e.g. 'Partner respondent'. */
  role: string
  /** The partner organisation, for a partner respondent. */
  organisation?: string
  /** The place, for a place lead or a viewer of one place. */
  place?: string
}

/** Sends an invitation from /admin/invitations (as an ICS lead or place lead already signed in). */
export async function invite(page: Page, invitee: Invitee): Promise<void> {
  await page.goto('/admin/invitations')
  await page.getByLabel('Full name').fill(invitee.name)
  await page.getByLabel('Email address').fill(invitee.email)
  await page.getByRole('radio', { name: invitee.role }).check()
  if (invitee.place) await page.getByLabel('Place (for a place lead').selectOption({ label: invitee.place })
  if (invitee.organisation) await page.getByLabel('Partner organisation').selectOption({ label: invitee.organisation })
  await page.getByRole('button', { name: 'Send invitation', exact: true }).click()
  await page.waitForURL('**/admin/invitations?sent=1*')
}

/** Opens the newest e-mail to `email` in the outbox (as an ICS lead) and returns the invitation link in it. */
export async function invitationLinkFromOutbox(page: Page, email: string): Promise<string> {
  await page.goto('/admin/outbox')
  const row = page.getByRole('row').filter({ hasText: email }).first()
  await row.getByRole('link').click()
  await page.waitForURL('**/admin/outbox/*')
  const href = await page.locator('#mail-body a[href*="/invitations/"]').first().getAttribute('href')
  if (!href) throw new Error(`No invitation link in the e-mail to ${email}`)
  return href
}

/** Follows an invitation link, sets a password and lands on the home page, signed in. */
export async function acceptInvitation(page: Page, link: string, password: string): Promise<void> {
  await page.goto(link)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByLabel('Enter the password again').fill(password)
  await page.getByRole('button', { name: 'Accept and sign in' }).click()
  await page.waitForURL('**/home')
}

/** Invites a new user as the signed-in lead, then accepts in `inviteePage`: the invitee ends signed in. */
export async function inviteAndAccept(leadPage: Page, inviteePage: Page, invitee: Invitee, password: string): Promise<void> {
  await invite(leadPage, invitee)
  const link = await invitationLinkFromOutbox(leadPage, invitee.email)
  await acceptInvitation(inviteePage, link, password)
}

export interface CriterionAnswer {
  /** The radio's label, e.g. '3 – Maturing' or 'Not sure yet'. */
  level: string
  evidence?: string
}

/** Answers criteria on the open domain page, by criterion code. */
export async function answerCriteria(page: Page, answers: Record<string, CriterionAnswer>): Promise<void> {
  for (const [code, answer] of Object.entries(answers)) {
    const criterion = page.locator(`#criterion-${code}`)
    await criterion.getByRole('radio', { name: answer.level, exact: true }).check()
    if (answer.evidence !== undefined) await criterion.getByLabel(`Evidence for ${code}`).fill(answer.evidence)
  }
}

/** The criterion codes on the open domain page, in order. */
export async function criterionCodes(page: Page): Promise<string[]> {
  const ids = await page.locator('section.placeready-criterion').evaluateAll((sections) => sections.map((s) => s.id))
  return ids.map((id) => id.replace(/^criterion-/, ''))
}
