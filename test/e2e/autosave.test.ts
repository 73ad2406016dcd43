import { heading } from './support/assertions'
import { setUpE2E } from './support/harness'
import { signIn } from './support/journeys'
import { demoUsers } from './support/server'

const e2e = setUpE2E()

test('pressing a save button while an autosave is on its way saves once, with no false conflict', async () => {
  const { page } = await e2e.session()
  await signIn(page, demoUsers.partner)
  await page.goto('/assessments')
  // The demo partner's open round is the one in progress (the baseline is closed, the next round not yet open).
  await page
    .locator('.nhsuk-card')
    .filter({ has: page.locator('.nhsuk-tag', { hasText: 'In progress' }) })
    .getByRole('link')
    .click()
  await page.getByRole('link', { name: 'Design & delivery' }).click()
  await page.waitForURL('**/domains/DD')

  // Let the autosave reach the server and save, but hold its answer back from the page, so the
  // button is pressed while the page still has the versions from before the autosave.
  let release: () => void = () => undefined
  const held = new Promise<void>((resolve) => (release = resolve))
  let saved: () => void = () => undefined
  const savedOnServer = new Promise<void>((resolve) => (saved = resolve))
  await page.route('**/domains/DD', async (route) => {
    if (route.request().method() === 'POST' && route.request().headers().accept?.includes('application/json')) {
      const response = await route.fetch()
      saved()
      await held
      await route.fulfill({ response })
    } else {
      await route.continue()
    }
  })
  await page.getByLabel('Evidence for DD1').fill('Pooled budget agreed by the council and the ICB in September')
  await savedOnServer
  // More typing after the autosave left: the button must save it too, without calling it a colleague's change.
  await page.getByLabel('Evidence for DD1').press('End')
  await page.getByLabel('Evidence for DD1').pressSequentially(', signed in October')
  await page.getByRole('button', { name: 'Save and come back later' }).click()
  release()
  await page.waitForURL(/\/organisations\/\d+$/)
  expect(await heading(page)).toMatch(/self-assessment$/)

  await page.getByRole('link', { name: 'Design & delivery' }).click()
  expect(await page.getByLabel('Evidence for DD1').inputValue()).toBe(
    'Pooled budget agreed by the council and the ICB in September, signed in October',
  )
})
