import { documentStatus, errorSummaryFocused, heading } from './support/assertions'
import { checkPage } from './support/checkPage'
import { setUpE2E } from './support/harness'
import { inviteAndAccept, signIn, signOut } from './support/journeys'
import { demoPassword, demoUsers } from './support/server'

/**
 * Every page type the journeys do not already pass through, in its empty, filled and error
 * states, through checkPage (axe, reflow at 320px, text at 200%, screenshots). A new page joins
 * with one line: open it, then `await checkPage(page, 'its-name')`.
 */
const e2e = setUpE2E()

test('public pages and the states of the sign-in form', async () => {
  const { page } = await e2e.session()
  await page.goto('/')
  expect(await heading(page)).toBe('Assess your place partnership’s readiness for delegation')
  await checkPage(page, 'start')
  await page.goto('/framework')
  expect(await page.locator('#criterion-GV5').count()).toBe(1)
  await checkPage(page, 'framework')

  await page.goto('/sign-in')
  await checkPage(page, 'sign-in')
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Sign in' }).click())).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['Enter your email address', 'Enter your password'])
  await checkPage(page, 'sign-in-error')
  await page.getByLabel('Email address').fill(demoUsers.viewer)
  await page.getByLabel('Password', { exact: true }).fill('not-the-password')
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Sign in' }).click())).toBe(401)
  expect(await errorSummaryFocused(page)).toEqual(['Enter a correct email address and password'])
  await checkPage(page, 'sign-in-wrong-password')

  await signIn(page, demoUsers.viewer)
  expect(await heading(page)).toBe('Welcome, Alex Morgan')
  await checkPage(page, 'home-viewer')
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.waitForURL('**/signed-out')
  expect(await heading(page)).toBe('You have signed out')
  await checkPage(page, 'signed-out')
})

test('forgotten password, the e-mailed link and choosing a new password', async () => {
  // A new user of its own, so the demo users keep their password.
  const email = 'casey.lee@example.org'
  const lead = (await e2e.session()).page
  const visitor = (await e2e.session()).page
  await signIn(lead, demoUsers.icsLead)
  await inviteAndAccept(lead, visitor, { name: 'Casey Lee', email, role: 'Board viewer' }, 'first-password-lark-291')
  await signOut(visitor)
  await visitor.goto('/sign-in')
  await visitor.getByRole('link', { name: 'I have forgotten my password' }).click()
  await visitor.waitForURL('**/forgotten-password')
  await checkPage(visitor, 'forgotten-password')
  expect(await documentStatus(visitor, () => visitor.getByRole('button', { name: 'Send the link' }).click())).toBe(400)
  expect(await errorSummaryFocused(visitor)).toEqual(['Enter your email address'])
  await checkPage(visitor, 'forgotten-password-error')
  await visitor.getByLabel('Email address').fill(email)
  expect(await documentStatus(visitor, () => visitor.getByRole('button', { name: 'Send the link' }).click())).toBe(200)
  expect(await heading(visitor)).toBe('Check your email')
  await checkPage(visitor, 'forgotten-password-sent')

  // The ICS lead finds the e-mail in the outbox (no SMTP server) and passes the link on.
  await lead.goto('/admin/outbox')
  await lead.getByRole('row').filter({ hasText: email }).filter({ hasText: 'password' }).getByRole('link').first().click()
  const link = await lead.locator('#mail-body a[href*="/reset-password/"]').getAttribute('href')
  expect(link).toMatch(/\/reset-password\/[A-Za-z0-9_-]+$/)

  await visitor.goto(link!)
  await checkPage(visitor, 'reset-password')
  await visitor.getByLabel('Password', { exact: true }).fill('short')
  expect(await documentStatus(visitor, () => visitor.getByRole('button', { name: 'Save the password and sign in' }).click())).toBe(400)
  expect((await errorSummaryFocused(visitor))[0]).toMatch(/12 characters/)
  await checkPage(visitor, 'reset-password-error')
  await visitor.getByLabel('Password', { exact: true }).fill('willow-compass-thunder-88')
  await visitor.getByLabel('Enter the password again').fill('willow-compass-thunder-88')
  await visitor.getByRole('button', { name: 'Save the password and sign in' }).click()
  await visitor.waitForURL('**/home')
  expect(await heading(visitor)).toBe('Welcome, Casey Lee')

  // The link works once.
  expect(await documentStatus(visitor, () => visitor.goto(link!))).toBe(410)
  expect(await heading(visitor)).toBe('This link has already been used')
  await checkPage(visitor, 'link-problem')
})

test('error pages: not found, and a form whose security token has expired', async () => {
  const { page, monitor } = await e2e.session()
  expect(await documentStatus(page, () => page.goto('/no-such-page'))).toBe(404)
  expect(await heading(page)).toBe('Page not found')
  await checkPage(page, 'not-found')

  await page.goto('/sign-in')
  await page.locator('input[name="_csrf"]').evaluate((input) => ((input as HTMLInputElement).value = 'tampered'))
  await page.getByLabel('Email address').fill(demoUsers.viewer)
  await page.getByLabel('Password', { exact: true }).fill(demoPassword)
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Sign in' }).click())).toBe(403)
  expect(await heading(page)).toBe('This page has expired')
  await checkPage(page, 'form-expired')
  // Both pages' intended statuses were logged by the browser and let through, nothing else.
  expect(monitor.expectedMessageCount()).toBe(2)
})

test('the place lead’s home and invitations pages, with a place-scoped form', async () => {
  const { page } = await e2e.session()
  await signIn(page, demoUsers.placeLead)
  await checkPage(page, 'home-place-lead')
  await page.getByRole('link', { name: 'Invite partners' }).click()
  await page.waitForURL('**/admin/invitations*')
  expect(await page.getByRole('radio').count()).toBe(1)
  await checkPage(page, 'admin-invitations-place-lead')
})

test('ICS lead administration: users, one user, the audit trail and round management, with their error states', async () => {
  const { page } = await e2e.session()
  await signIn(page, demoUsers.icsLead)
  await page.locator('main').getByRole('link', { name: 'Users', exact: true }).click()
  await page.waitForURL('**/admin/users*')
  await checkPage(page, 'admin-users')
  await page.getByRole('row').filter({ hasText: demoUsers.icsLead }).getByRole('link').click()
  await page.waitForURL(/\/admin\/users\/\d+$/)
  await checkPage(page, 'admin-user')
  // Taking away your own ICS lead role is refused.
  await page.getByRole('radio', { name: 'Board viewer' }).check()
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Save this role' }).click())).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['You cannot remove your own ICS lead role – ask another ICS lead to do it'])
  await checkPage(page, 'admin-user-error')

  await page.goto('/home')
  await page.locator('main').getByRole('link', { name: 'Audit trail' }).click()
  await page.waitForURL('**/admin/audit*')
  expect(await page.getByRole('row').count()).toBeGreaterThan(1)
  await checkPage(page, 'admin-audit')
  await page.getByLabel('From (date)').fill('2026-11-01')
  await page.getByLabel('What').selectOption({ label: 'Signed in' })
  await page.getByRole('button', { name: 'Filter' }).click()
  await page.waitForURL(/kind=sign-in/)
  await checkPage(page, 'admin-audit-filtered')
  expect(await documentStatus(page, () => page.goto('/admin/audit?from=2026-13-45'))).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['Enter the start date as a real date'])
  await checkPage(page, 'admin-audit-error')

  await page.goto('/rounds')
  await page.getByRole('row').filter({ hasText: 'Open' }).getByRole('link').click()
  await page.waitForURL(/\/rounds\/\d+\/manage$/)
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Extend the deadline' }).click())).toBe(400)
  expect((await errorSummaryFocused(page)).length).toBeGreaterThan(0)
  await checkPage(page, 'round-manage-error')
  // The round's page is by place; each place's page lists its organisations.
  await page.getByRole('link', { name: 'Wirral', exact: true }).click()
  await page.waitForURL(/\/rounds\/\d+\/manage\/places\/\d+$/)
  await checkPage(page, 'round-place')
  const reopen = page.getByRole('row').filter({ hasText: 'Wirral University Teaching Hospital' })
  expect(await documentStatus(page, () => reopen.getByRole('button', { name: /^Reopen/ }).click())).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['Enter the reason for reopening'])
  await checkPage(page, 'round-place-reopen-error')

  // The ICS lead reads a partner's answers, which only the partner can change.
  await page.getByRole('link', { name: 'Wirral Council', exact: true }).click()
  await page.waitForURL(/\/organisations\/\d+$/)
  expect(await page.locator('main').textContent()).toContain('Only its partner respondents can change them.')
  await checkPage(page, 'assessment-task-list-read-only')
  await page.getByRole('link', { name: 'See all answers' }).click()
  await page.waitForURL(/\/check$/)
  expect(await heading(page)).toBe('Answers')
  await checkPage(page, 'assessment-answers-read-only')
})

test('partner pages: an answer’s history, a closed round, and a conflict between two people, without JavaScript', async () => {
  const { page } = await e2e.session()
  await signIn(page, demoUsers.partner)
  await page.goto('/assessments')
  const openRound = page.locator('.nhsuk-card').filter({ has: page.locator('.nhsuk-tag', { hasText: 'In progress' }) })
  await openRound.getByRole('link').click()
  await page.waitForURL(/\/organisations\/\d+$/)
  const taskList = page.url()
  await page.goto(`${taskList}/criteria/AV1/history`)
  expect(await heading(page)).toMatch(/^History of AV1 /)
  await checkPage(page, 'assessment-history')

  await page.goto('/assessments')
  // The baseline, closed in October 2021 (the demo's next round has not opened yet).
  await page.locator('.nhsuk-card').filter({ hasText: 'October 2021' }).getByRole('link').click()
  await page.waitForURL(/\/organisations\/\d+$/)
  expect(await page.locator('.nhsuk-inset-text').textContent()).toContain('Submitted on')
  await checkPage(page, 'assessment-task-list-closed-round')

  // Two people edit the same answer: the second to save sees both versions. The second has JavaScript
  // off, so no autosave runs and the page must work without it.
  const other = (await e2e.session()).page
  const noScript = (await e2e.session({ javaScriptEnabled: false })).page
  await signIn(other, demoUsers.partner)
  await signIn(noScript, demoUsers.partner)
  const domainUrl = `${taskList}/domains/GV`
  await noScript.goto(domainUrl)
  await other.goto(domainUrl)
  await other.locator('#criterion-GV1').getByRole('radio', { name: '2 – Developing', exact: true }).check()
  await other.getByRole('button', { name: 'Save and come back later' }).click()
  await other.waitForURL(taskList)
  await noScript.locator('#criterion-GV1').getByRole('radio', { name: '4 – Thriving', exact: true }).check()
  await noScript.locator('#criterion-GV1').getByLabel('Evidence for GV1').fill('Scheme of delegation agreed in September.')
  const [conflict] = await Promise.all([
    noScript.waitForResponse((r) => r.url() === domainUrl && r.request().method() === 'POST'),
    noScript.getByRole('button', { name: 'Save and come back later' }).click(),
  ])
  expect(conflict.status()).toBe(409)
  await noScript.waitForURL(domainUrl)
  expect(await noScript.locator('#conflicts').textContent()).toContain('Someone else changed these answers')
  expect(await noScript.locator('#criterion-GV1').getByRole('radio', { name: '4 – Thriving', exact: true }).isChecked()).toBe(true)

  // The checks need scripts, so the same response (body and headers, CSP included) is shown in a browser with them.
  const viewer = (await e2e.session()).page
  const body = await conflict.text()
  const headers = await conflict.allHeaders()
  await viewer.route(domainUrl, (route) => route.fulfill({ status: 409, headers, body }))
  expect(await documentStatus(viewer, () => viewer.goto(domainUrl))).toBe(409)
  expect(await viewer.locator('#criterion-GV1').getByRole('radio', { name: '4 – Thriving', exact: true }).isChecked()).toBe(true)
  await checkPage(viewer, 'assessment-domain-conflict')
})

test('the round’s reports page: the ICS lead before publication, a board viewer after', async () => {
  const { page } = await e2e.session()
  await signIn(page, demoUsers.icsLead)
  await page.goto('/rounds')
  await page.getByRole('row').filter({ hasText: 'Open' }).getByRole('link').click()
  await page.waitForURL(/\/rounds\/\d+\/manage$/)
  await page.getByRole('link', { name: 'Results and reports' }).click()
  await page.waitForURL(/\/rounds\/\d+\/reports$/)
  expect(await page.locator('main').textContent()).toContain('You can publish the results once the round has closed.')
  await checkPage(page, 'round-reports')

  const viewer = (await e2e.session()).page
  await signIn(viewer, demoUsers.viewer)
  await viewer.goto('/places')
  await viewer.getByRole('link', { name: 'Wirral', exact: true }).click()
  await viewer.waitForURL(/\/places\/\d+$/)
  const link = viewer.getByRole('link', { name: /Download place report \(PDF\)/ })
  expect(await link.count()).toBe(1)
  const href = (await link.getAttribute('href'))!
  const roundId = /\/rounds\/(\d+)\//.exec(href)![1]
  await viewer.goto(`/rounds/${roundId}/reports`)
  expect(await viewer.locator('main').textContent()).toContain('The results were published on')
  await checkPage(viewer, 'round-reports-viewer')
})

test('the console monitor lets through a page’s intended 4xx status, but not a failed request from a script', async () => {
  const { page, monitor } = await e2e.session()
  expect(await documentStatus(page, () => page.goto('/no-such-page'))).toBe(404)
  expect(monitor.expectedMessageCount()).toBe(1)
  expect(monitor.problems()).toEqual([])
  expect(await page.evaluate(() => fetch('/also-missing').then((r) => r.status))).toBe(404)
  for (let i = 0; i < 100 && monitor.problems().length === 0; i++) await page.waitForTimeout(50)
  expect(monitor.problems()).toEqual([
    expect.stringMatching(/Failed to load resource: the server responded with a status of 404 .*\(from .*\/also-missing\)$/),
  ])
  monitor.clear()
})
