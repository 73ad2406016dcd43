import type { Page } from 'playwright-core'
import { documentStatus, errorSummaryFocused, heading } from './support/assertions'
import { checkPage } from './support/checkPage'
import { setUpE2E } from './support/harness'
import {
  acceptInvitation,
  answerCriteria,
  criterionCodes,
  invitationLinkFromOutbox,
  invite,
  signIn,
  signOut,
  type CriterionAnswer,
} from './support/journeys'
import { demoUsers } from './support/server'

/**
 * Whole journeys through the real server in Chromium, one test per journey, each page state
 * through checkPage (axe, reflow, text zoom, screenshots). The harness fails a test on any
 * console error, CSP violation or server error. New journeys (the place lead's review, the ICS
 * lead's moderation and decision) join as more tests here.
 */
const e2e = setUpE2E()

const levels = ['3 – Maturing', '2 – Developing', '4 – Thriving', '1 – Emerging', 'Not sure yet']

function answersFor(codes: string[]): Record<string, CriterionAnswer> {
  return Object.fromEntries(
    codes.map((code, i) => [
      code,
      { level: levels[i % levels.length]!, evidence: `Evidence for ${code}: minutes of the partnership board, 14 March.` },
    ]),
  )
}

async function openTaskListDomain(page: Page, domainTitle: string): Promise<void> {
  await page.getByRole('link', { name: domainTitle, exact: true }).click()
  await page.waitForURL(/\/domains\/[A-Z]+$/)
}

async function domainStatus(page: Page, domainTitle: string): Promise<string> {
  const item = page.locator('.nhsuk-task-list__item').filter({ has: page.getByRole('link', { name: domainTitle, exact: true }) })
  return ((await item.locator('.nhsuk-task-list__status').textContent()) ?? '').trim()
}

test('an ICS lead invites a partner, who sets a password, answers with autosave, returns to the draft, fixes an error, completes every domain and submits', async () => {
  const invitee = { name: 'Jordan Reid', email: 'jordan.reid@healthwatch-wirral.example.org', organisation: 'Healthwatch Wirral' }
  const password = 'lantern-harbour-meadow-42'
  const lead = (await e2e.session()).page
  const partner = (await e2e.session()).page

  // The ICS lead invites the partner.
  await signIn(lead, demoUsers.icsLead)
  await checkPage(lead, 'home-ics-lead')
  await lead.goto('/admin/invitations')
  await checkPage(lead, 'admin-invitations')
  expect(await documentStatus(lead, () => lead.getByRole('button', { name: 'Send invitation', exact: true }).click())).toBe(400)
  expect(await errorSummaryFocused(lead)).toEqual(['Enter the person’s full name', 'Enter their email address', 'Select a role'])
  await checkPage(lead, 'admin-invitations-error')
  await invite(lead, { ...invitee, role: 'Partner respondent' })
  expect(await lead.getByRole('status').textContent()).toContain('Invitation sent')
  expect(await lead.getByRole('row').filter({ hasText: invitee.email }).textContent()).toContain('Waiting')
  await checkPage(lead, 'admin-invitations-sent')

  // With no SMTP server the e-mail waits in the outbox, with the link in it.
  await lead.goto('/admin/outbox')
  await checkPage(lead, 'admin-outbox')
  const link = await invitationLinkFromOutbox(lead, invitee.email)
  expect(link).toMatch(new RegExp(`^${e2e.server.baseUrl}/invitations/[A-Za-z0-9_-]+$`))
  await checkPage(lead, 'admin-outbox-message')

  // The partner follows the link, gets the password wrong once, then sets it and lands on the home page.
  await partner.goto(link)
  await checkPage(partner, 'accept-invitation')
  await partner.getByLabel('Password', { exact: true }).fill(password)
  await partner.getByLabel('Enter the password again').fill('something-else-entirely')
  expect(await documentStatus(partner, () => partner.getByRole('button', { name: 'Accept and sign in' }).click())).toBe(400)
  expect(await errorSummaryFocused(partner)).toEqual(['The passwords do not match – enter the same password twice'])
  await checkPage(partner, 'accept-invitation-error')
  await acceptInvitation(partner, link, password)
  expect(await heading(partner)).toBe(`Welcome, ${invitee.name}`)

  // Later the partner signs in with the new password and opens the round.
  await signOut(partner)
  await signIn(partner, invitee.email, password)
  await checkPage(partner, 'home-partner')
  await partner.getByRole('link', { name: 'Your self-assessments' }).click()
  await partner.waitForURL('**/assessments')
  // Two rounds: the closed baseline (which Healthwatch Wirral submitted) and the open one, not started.
  const openRound = partner.locator('.nhsuk-card').filter({ has: partner.locator('.nhsuk-tag', { hasText: 'Not started' }) })
  const roundHref = await openRound.getByRole('link').getAttribute('href')
  const card = partner.locator('.nhsuk-card').filter({ has: partner.locator(`a[href="${roundHref}"]`) })
  expect(await card.textContent()).toContain(invitee.organisation)
  await checkPage(partner, 'assessments')
  await card.getByRole('link').click()
  await partner.waitForURL(/\/rounds\/\d+\/organisations\/\d+$/)
  const taskList = partner.url()
  expect(await heading(partner)).toBe(`${invitee.organisation}: self-assessment`)
  await checkPage(partner, 'assessment-task-list')

  // Answers on the first domain are saved by autosave, with no button pressed.
  await openTaskListDomain(partner, 'Ambition & vision')
  await checkPage(partner, 'assessment-domain')
  await answerCriteria(partner, { AV1: { level: '2 – Developing', evidence: 'Joint vision agreed by the partnership board in May.' } })
  await partner.locator('#criterion-AV1').getByText('Support you would need and a target for AV1').click()
  await partner.getByLabel('Support you would need for AV1').fill('A facilitated session on shared outcomes.')
  await partner.getByLabel('Target level for AV1 in the next round').selectOption({ label: '3 – Maturing' })
  const status = partner.getByRole('status')
  await status.filter({ hasText: /^Saved at \d{2}:\d{2}$/ }).waitFor()
  await checkPage(partner, 'assessment-domain-autosaved')

  // The partner leaves (signs out) and comes back: the draft is there.
  await signOut(partner)
  await signIn(partner, invitee.email, password)
  await partner.goto('/assessments')
  expect(await card.locator('.nhsuk-tag').textContent()).toBe('In progress')
  await card.getByRole('link').click()
  await partner.waitForURL(taskList)
  expect(await domainStatus(partner, 'Ambition & vision')).toBe('In progress')
  await checkPage(partner, 'assessment-task-list-in-progress')
  await openTaskListDomain(partner, 'Ambition & vision')
  const av1 = partner.locator('#criterion-AV1')
  expect(await av1.getByRole('radio', { name: '2 – Developing', exact: true }).isChecked()).toBe(true)
  expect(await av1.getByLabel('Evidence for AV1').inputValue()).toBe('Joint vision agreed by the partnership board in May.')
  expect(await av1.getByLabel('Support you would need for AV1').inputValue()).toBe('A facilitated session on shared outcomes.')
  expect(await av1.getByLabel('Target level for AV1 in the next round').inputValue()).toBe('3')

  // Marking the domain complete with Maturing and no evidence fails, keeps what was typed and focuses the error summary.
  await answerCriteria(partner, { AV2: { level: '3 – Maturing', evidence: '' } })
  expect(await documentStatus(partner, () => partner.getByRole('button', { name: 'Mark this domain as complete' }).click())).toBe(400)
  const errors = await errorSummaryFocused(partner)
  expect(errors).toEqual([
    expect.stringMatching(/^Enter the evidence for AV2 /),
    expect.stringMatching(/^Select a maturity level for AV3 /),
  ])
  expect(await partner.locator('#criterion-AV2').getByRole('radio', { name: '3 – Maturing', exact: true }).isChecked()).toBe(true)
  await checkPage(partner, 'assessment-domain-error')

  // Following the first error link goes to the field.
  await partner.locator('.nhsuk-error-summary').getByRole('link').first().click()
  await partner.waitForFunction(() => document.activeElement?.id === 'evidence-AV2')

  // Every domain, answered and completed.
  const domains = ['Ambition & vision', 'Leadership & culture', 'Design & delivery', 'Governance']
  for (const [index, domain] of domains.entries()) {
    if (index > 0) await openTaskListDomain(partner, domain)
    await answerCriteria(partner, answersFor(await criterionCodes(partner)))
    await partner.getByRole('button', { name: 'Mark this domain as complete' }).click()
    await partner.waitForURL(taskList)
    expect(await domainStatus(partner, domain)).toBe('Completed')
  }
  expect(await partner.locator('main').textContent()).toContain('You have answered 16 of 16 criteria.')
  await checkPage(partner, 'assessment-task-list-completed')

  // Check answers, forget the declaration once, then submit.
  await partner.getByRole('button', { name: 'Check your answers and submit' }).click()
  await partner.waitForURL(`${taskList}/check`)
  const av1Summary = await partner.locator('.nhsuk-summary-list__row').filter({ hasText: 'AV1' }).textContent()
  expect(av1Summary).toContain('Evidence for AV1: minutes of the partnership board')
  expect(av1Summary).toContain('Support we would need: A facilitated session on shared outcomes.')
  await checkPage(partner, 'assessment-check')
  expect(await documentStatus(partner, () => partner.getByRole('button', { name: 'Submit the self-assessment' }).click())).toBe(400)
  expect(await errorSummaryFocused(partner)).toEqual([`Confirm that these answers reflect the view of ${invitee.organisation}`])
  await checkPage(partner, 'assessment-check-error')
  await partner.getByLabel(`These answers reflect the view of ${invitee.organisation}`).check()
  await partner.getByRole('button', { name: 'Submit the self-assessment' }).click()
  await partner.waitForURL(`${taskList}/confirmation`)
  expect(await heading(partner)).toBe('Self-assessment submitted')
  const reference = ((await partner.locator('.nhsuk-panel__body strong').textContent()) ?? '').trim()
  expect(reference).toMatch(/^PR-\d{4}-\d{5}$/)
  await checkPage(partner, 'assessment-confirmation')

  // The submission is locked for the partner and visible to the ICS lead, with the same reference.
  await partner.goto('/assessments')
  expect(await card.locator('.nhsuk-tag').textContent()).toBe('Submitted')
  await partner.goto(`${taskList}/domains/AV`)
  expect(await partner.getByRole('button', { name: 'Mark this domain as complete' }).count()).toBe(0)
  await checkPage(partner, 'assessment-domain-submitted')
  await lead.goto('/rounds')
  await checkPage(lead, 'rounds')
  await lead.getByRole('row').filter({ hasText: 'Open' }).getByRole('link').click()
  await lead.waitForURL(/\/rounds\/\d+\/manage$/)
  await checkPage(lead, 'round-manage')
  await lead.getByRole('link', { name: 'Wirral', exact: true }).click()
  await lead.waitForURL(/\/rounds\/\d+\/manage\/places\/\d+$/)
  const row = lead.getByRole('row').filter({ hasText: invitee.organisation })
  expect(await row.textContent()).toContain(reference)
  expect(await row.locator('.nhsuk-tag').first().textContent()).toBe('Submitted')
  await checkPage(lead, 'round-manage-place')
})

test('the Wirral place lead reviews partners’ answers side by side, agrees every position and submits the place return; the ICS lead moderates, decides and plans', async () => {
  const placeLead = (await e2e.session()).page
  const lead = (await e2e.session()).page

  // The place lead opens the place, then this round's return.
  await signIn(placeLead, demoUsers.placeLead)
  await placeLead.getByRole('link', { name: 'Wirral: return, readiness and development plan' }).click()
  await placeLead.waitForURL(/\/places\/\d+$/)
  const placePage = placeLead.url()
  await checkPage(placeLead, 'place')
  await placeLead
    .locator('main')
    .getByRole('link', { name: /self-assessment/ })
    .first()
    .click()
  await placeLead.waitForURL(/\/rounds\/\d+\/places\/\d+$/)
  const placeReturn = placeLead.url()
  expect(await heading(placeLead)).toBe('Wirral place return')
  await checkPage(placeLead, 'place-return')

  // Submitting before every position is agreed lists each one still to agree.
  expect(await documentStatus(placeLead, () => placeLead.getByRole('button', { name: 'Submit the place return' }).click())).toBe(400)
  const missing = await errorSummaryFocused(placeLead)
  expect(missing.length).toBeGreaterThan(0)
  for (const item of missing) expect(item).toMatch(/^Agree the place’s position on [A-Z]+\d+ /)
  await checkPage(placeLead, 'place-return-error')

  // Partners' answers side by side for each criterion still to agree; an empty form fails once.
  const first = /position on ([A-Z]+\d+) /.exec(missing[0]!)![1]!
  await placeLead.goto(placeReturn)
  await placeLead.getByRole('link', { name: new RegExp(`^${first} `) }).click()
  await placeLead.waitForURL(new RegExp(`/criteria/${first}$`))
  expect(await placeLead.locator('main table').getByRole('row').count()).toBeGreaterThan(1)
  await checkPage(placeLead, 'place-criterion')
  expect(await documentStatus(placeLead, () => placeLead.getByRole('button', { name: /^Save and go to / }).click())).toBe(400)
  expect(await errorSummaryFocused(placeLead)).toEqual([
    `Select the place’s agreed level for ${first}, or Not sure yet`,
    'Enter the rationale for the agreed level',
  ])
  await checkPage(placeLead, 'place-criterion-error')
  for (let i = 0; ; i++) {
    const code = /\/criteria\/([A-Z]+\d+)/.exec(placeLead.url())![1]!
    await placeLead.getByRole('radio', { name: i % 4 === 3 ? '2 – Developing' : '3 – Maturing', exact: true }).check()
    await placeLead.getByLabel('Rationale').fill(`Agreed at the partnership board: ${code}.`)
    await placeLead.getByLabel('Evidence summary').fill(`Board minutes for ${code}.`)
    const next = placeLead.getByRole('button', { name: /^Save and go to / })
    if ((await next.count()) === 0) break
    await next.click()
    await placeLead.waitForURL((url) => /\/criteria\/[A-Z]+\d+$/.test(url.pathname) && !url.pathname.endsWith(`/${code}`))
  }
  expect(placeLead.url()).toMatch(/\/criteria\/GV5$/)
  await placeLead.getByRole('button', { name: 'Save and return to the criteria' }).click()
  await placeLead.waitForURL((url) => url.pathname === new URL(placeReturn).pathname)
  // The same address: documentStatus waits for the new page, not just the address.
  expect(await documentStatus(placeLead, () => placeLead.getByRole('button', { name: 'Submit the place return' }).click())).toBe(200)
  expect(placeLead.url()).toBe(placeReturn)
  expect(await placeLead.locator('main').textContent()).toContain('The place return was submitted on')
  await checkPage(placeLead, 'place-return-submitted')

  // The ICS lead moderates one criterion.
  await signIn(lead, demoUsers.icsLead)
  await lead.locator('main').getByRole('link', { name: 'Places' }).click()
  await lead.waitForURL('**/places')
  await checkPage(lead, 'places')
  await lead.goto(`${placeReturn}/criteria/GV1`)
  await lead.getByRole('radio', { name: '2 – Developing', exact: true }).check()
  expect(await documentStatus(lead, () => lead.getByRole('button', { name: 'Save the moderation' }).click())).toBe(400)
  expect(await errorSummaryFocused(lead)).toEqual(['Enter a comment explaining the moderation'])
  await checkPage(lead, 'place-criterion-moderation-error')
  await lead.getByLabel('Comment').fill('The scheme of delegation is still in draft.')
  await lead.getByRole('button', { name: 'Save the moderation' }).click()
  await lead.waitForURL((url) => url.pathname === new URL(placeReturn).pathname)
  expect(await lead.locator('#criterion-GV1').textContent()).toContain('Moderated to 2 – Developing')

  // The decision: an empty form fails, then the recommendation is accepted.
  expect(await documentStatus(lead, () => lead.getByRole('button', { name: 'Record the decision' }).click())).toBe(400)
  expect((await errorSummaryFocused(lead))[0]).toBe('Select the delegation level decided')
  await checkPage(lead, 'place-decision-error')
  await lead.getByRole('radio', { name: /\(recommended\)$/ }).check()
  await lead.getByLabel('Rationale').fill('The partnership meets most thresholds; finance to follow.')
  await lead.getByLabel('Day').fill('15')
  await lead.getByLabel('Month').fill('1')
  // A decision cannot be dated before its round opened (the demo's opened two weeks ago): next January.
  await lead.getByLabel('Year').fill(String(new Date().getFullYear() + 1))
  await lead.getByLabel('Deciding body').fill('ICB Board')
  await lead.getByRole('button', { name: 'Record the decision' }).click()
  await lead.waitForURL(/#decision$/)
  expect(await lead.locator('#readiness').textContent()).toContain('ICB Board')
  await checkPage(lead, 'place-return-decided')

  // The development plan on the place page: an empty action fails, then one is added and opened.
  await lead.goto(placePage)
  expect(await documentStatus(lead, () => lead.getByRole('button', { name: 'Add the action' }).click())).toBe(400)
  expect(await errorSummaryFocused(lead)).toEqual(
    expect.arrayContaining(['Select the criterion the action is for', 'Enter what the action is']),
  )
  await checkPage(lead, 'place-plan-error')
  await lead.getByLabel('Criterion').selectOption('GV1')
  await lead.getByLabel('Action', { exact: true }).fill('Agree the scheme of delegation at the ICB Board.')
  await lead.getByLabel('Owner').selectOption({ label: 'Wirral Council' })
  await lead.getByLabel('Due date').fill('2027-03-31')
  await lead.getByRole('radio', { name: 'Not started' }).check()
  await lead.getByRole('button', { name: 'Add the action' }).click()
  await lead.waitForURL(/#plan$/)
  const row = lead.getByRole('row').filter({ hasText: 'Agree the scheme of delegation at the ICB Board.' })
  expect(await row.textContent()).toContain('Wirral Council')
  await checkPage(lead, 'place-plan')
  await row.getByRole('link', { name: /^Change/ }).click()
  await lead.waitForURL(/\/actions\/\d+$/)
  await checkPage(lead, 'place-action')
})
