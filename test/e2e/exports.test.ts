import { documentStatus, errorSummaryFocused, heading } from './support/assertions'
import { checkPage } from './support/checkPage'
import { setUpE2E } from './support/harness'
import { signIn } from './support/journeys'
import { demoUsers } from './support/server'

/** The round's downloads page, the ICS lead's API tokens page and the API documentation, in their states. */
const e2e = setUpE2E()

test('the downloads page: the ICS lead from the round page, an audit range that is not valid, and a place lead', async () => {
  const { page } = await e2e.session()
  await signIn(page, demoUsers.icsLead)
  await page.goto('/rounds')
  await page.getByRole('row').filter({ hasText: 'Open' }).getByRole('link').click()
  await page.waitForURL(/\/rounds\/\d+\/manage$/)
  await page.getByRole('link', { name: /Download this round’s answers/ }).click()
  await page.waitForURL(/\/rounds\/\d+\/downloads$/)
  expect(await heading(page)).toBe('Downloads')
  const downloads = new URL(page.url()).pathname
  await checkPage(page, 'round-downloads')

  await page.getByLabel('Day').first().fill('31')
  await page.getByLabel('Month').first().fill('2')
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Download CSV of the audit trail' }).click())).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['Enter the start date as a real date, for example 1 10 2021'])
  await checkPage(page, 'round-downloads-error')

  const placeLead = (await e2e.session()).page
  await signIn(placeLead, demoUsers.placeLead)
  await placeLead.goto(downloads)
  expect(await placeLead.locator('main').textContent()).toContain('This round’s records for Wirral.')
  await checkPage(placeLead, 'round-downloads-place-lead')
})

test('API tokens: the list, a name that is missing, a new token shown once; and the API documentation', async () => {
  const { page } = await e2e.session()
  await signIn(page, demoUsers.icsLead)
  await page.goto('/home')
  await page.getByRole('link', { name: 'API tokens' }).click()
  await page.waitForURL(/\/admin\/api-tokens/)
  expect(await page.locator('main').textContent()).toContain('Board reporting workbook')
  await checkPage(page, 'api-tokens')

  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Create token' }).click())).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['Enter a name for the token'])
  await checkPage(page, 'api-tokens-error')

  await page.getByLabel('Name').fill('Analyst’s notebook')
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Create token' }).click())).toBe(201)
  expect(await page.locator('#token-secret').inputValue()).toMatch(/^placeready_/)
  await checkPage(page, 'api-tokens-created')

  await page.getByRole('link', { name: 'the API documentation' }).click()
  await page.waitForURL('**/developers/api')
  expect(await heading(page)).toBe('PlaceReady API')
  await page.locator('details').first().locator('summary').click()
  await checkPage(page, 'api-documentation')
})
