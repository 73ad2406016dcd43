import { documentStatus, errorSummaryFocused, heading } from './support/assertions'
import { checkPage } from './support/checkPage'
import { setUpE2E } from './support/harness'
import { signIn } from './support/journeys'
import { demoUsers } from './support/server'

/**
 * The administration pages the onboarding journey does not reach, on the demo ICS: their error
 * states, a framework draft, copying and changing a round before it opens, and an import followed
 * without JavaScript. Each through checkPage (axe, reflow at 320px, text at 200%).
 */
const e2e = setUpE2E()

test('places, organisations and contacts: every form’s error state keeps what was typed', async () => {
  const { page } = await e2e.session()
  await signIn(page, demoUsers.icsLead)

  await page.goto('/admin/places')
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Add the place' }).click())).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['Enter the name of the place'])
  await checkPage(page, 'admin-places-error')

  await page.goto('/admin/places')
  await page.getByRole('link', { name: 'Wirral', exact: true }).click()
  await page.waitForURL(/\/admin\/places\/\d+$/)
  const placePage = page.url()
  await page.getByLabel('Name of the organisation').fill('Wirral Carers Alliance')
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Add the organisation' }).click())).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['Select the type of organisation'])
  expect(await page.getByLabel('Name of the organisation').inputValue()).toBe('Wirral Carers Alliance')
  await checkPage(page, 'admin-place-error')

  await page.goto(placePage)
  await page.getByRole('link', { name: 'Healthwatch Wirral', exact: true }).click()
  await page.waitForURL(/\/admin\/organisations\/\d+$/)
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Retire Healthwatch Wirral' }).click())).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['Enter the reason'])
  await checkPage(page, 'admin-organisation-error')

  await page.goto(`${placePage}/contacts`)
  expect(await heading(page)).toBe('Contacts')
  await page.getByLabel('Partner organisation').selectOption({ label: 'Healthwatch Wirral' })
  await page.getByLabel('Full name').fill('Hana Patel')
  await page.getByLabel('Email address').fill('hana@')
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Send invitation', exact: true }).click())).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['Enter an email address in the correct format, like name@example.org'])
  expect(await page.getByLabel('Full name').inputValue()).toBe('Hana Patel')
  await checkPage(page, 'admin-contacts-error')
})

test('frameworks: an upload with problems, a draft of the ICS’s own and what it changed', async () => {
  const { page } = await e2e.session()
  await signIn(page, demoUsers.icsLead)

  await page.goto('/admin/frameworks')
  await page.getByLabel('Framework, pasted as JSON').fill('{"slug": "broken", "domains": []}')
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Upload the framework' }).click())).toBe(400)
  expect((await errorSummaryFocused(page)).length).toBeGreaterThan(0)
  await checkPage(page, 'admin-frameworks-error')

  // The demo's draft: it can still change, and comparing it with its source shows what it changed.
  await page.goto('/admin/frameworks')
  await page.getByRole('link', { name: /version 2021 draft$/ }).click()
  await page.waitForURL(/\/admin\/frameworks\/\d+$/)
  expect(await page.getByRole('button', { name: 'Save the draft' }).count()).toBe(1)
  await checkPage(page, 'admin-framework-draft')
  await page.getByLabel('Framework (JSON)', { exact: true }).fill('{')
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Save the draft' }).click())).toBe(400)
  expect((await errorSummaryFocused(page)).length).toBeGreaterThan(0)
  await checkPage(page, 'admin-framework-draft-error')

  await page.goto('/admin/frameworks')
  await page
    .getByLabel('From', { exact: true })
    .selectOption({ label: 'Cheshire and Merseyside place development framework, version 2021' })
  await page
    .getByLabel('To', { exact: true })
    .selectOption({ label: 'Cheshire and Merseyside place development framework, version 2021 draft' })
  await page.getByRole('button', { name: 'Compare' }).click()
  await page.waitForURL(/\/admin\/frameworks\/compare\?/)
  const main = (await page.locator('main').textContent()) ?? ''
  expect(main).toContain('Criteria reworded (1)')
  expect(main).toContain('Enabler: Digital and data')
  expect(main).toContain('Thresholds changed (1)')
  await checkPage(page, 'admin-framework-compare-draft')
})

test('rounds: the next round’s page (opening it early needs a reason), its change form before it opens, and the copy form', async () => {
  const { page } = await e2e.session()
  await signIn(page, demoUsers.icsLead)

  await page.goto('/rounds')
  await page.getByRole('row').filter({ hasText: 'Upcoming' }).getByRole('link').click()
  await page.waitForURL(/\/rounds\/\d+\/manage$/)
  await checkPage(page, 'round-manage-upcoming')
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Open the round now' }).click())).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['Enter the reason for opening the round early'])
  await checkPage(page, 'round-manage-upcoming-error')

  await page.getByRole('link', { name: 'Change the round' }).click()
  await page.waitForURL(/\/rounds\/\d+\/edit$/)
  await checkPage(page, 'round-edit')
  await page.getByLabel('Name of the round').fill('')
  expect(await documentStatus(page, () => page.getByRole('button', { name: 'Save changes' }).click())).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['Enter the name of the round'])
  await checkPage(page, 'round-edit-error')

  await page.goto('/rounds')
  await page.getByRole('row').filter({ hasText: 'Open' }).getByRole('link').click()
  await page.waitForURL(/\/rounds\/\d+\/manage$/)
  await page.getByRole('link', { name: 'Copy this round' }).click()
  await page.waitForURL(/\/rounds\/new\?copy=\d+$/)
  expect(await heading(page)).toMatch(/^Copy /)
  await checkPage(page, 'round-form-copy')
})

test('an import of 10,000 rows followed without JavaScript: the page refreshes itself until the file is checked', async () => {
  const { page } = await e2e.session({ javaScriptEnabled: false })
  await signIn(page, demoUsers.icsLead)
  const rows = ['Place,Organisation,Organisation type,Contact name,Contact email']
  for (let p = 0; p < 100; p++) {
    rows.push(`Newplace ${p},,,,`)
    for (let o = 0; o < 33; o++) {
      for (let c = 0; c < 3; c++)
        rows.push(`Newplace ${p},Organisation ${p}-${o},VCSE,Person ${p}-${o}-${c},person.${p}.${o}.${c}@example.net`)
    }
  }
  await page.goto('/admin/imports')
  await page.getByLabel('CSV file').setInputFiles({ name: 'big.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n'), 'utf8') })
  await page.getByRole('button', { name: 'Check the file' }).click()
  await page.waitForURL(/\/admin\/imports\/\d+$/)
  // Without JavaScript the page refreshes itself while the file is checked (when the machine is
  // quick enough to have finished already, the preview shows at once).
  const importPage = page.url()
  const progress = await page.context().request.get(importPage)
  const served = await progress.text()
  if (served.includes('id="import-progress"')) {
    expect(served).toMatch(/<noscript><meta http-equiv="refresh" content="\d+"><\/noscript>/)
    // The checks need scripts, so the same response (body and headers, CSP included) is shown
    // in a browser with them, its status kept at "checking" so that it stays still while checked.
    const viewer = (await e2e.session()).page
    const headers = progress.headers()
    await viewer.route(importPage, (route) => route.fulfill({ status: 200, headers, body: served }))
    await viewer.route(`${importPage}/status.json`, (route) =>
      route.fulfill({ json: { working: true, status: 'checking', percent: 10, processedRows: 1000, totalRows: 10_000 } }),
    )
    await viewer.goto(importPage)
    expect(await viewer.getByLabel('Rows checked').count()).toBe(1)
    await checkPage(viewer, 'admin-import-progress')
  }
  await page.locator('h1', { hasText: /^Check before you import/ }).waitFor({ timeout: 120_000 })
  expect(await page.locator('main').textContent()).toContain('Nothing has been imported yet')
})
