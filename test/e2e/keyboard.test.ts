import type { Page } from 'playwright-core'
import { documentStatus, errorSummaryFocused, heading } from './support/assertions'
import { setUpE2E } from './support/harness'
import { expectFocusVisible, isFocused, press, tabTo } from './support/keyboard'
import { criterionCodes, inviteAndAccept, signIn, signOut } from './support/journeys'
import { demoUsers } from './support/server'

/**
 * The partner's whole journey with the keyboard alone: Tab and Shift+Tab to move, arrow keys
 * and Space for choices, Enter to follow links and press buttons. At every stop the focused
 * element must show a visible focus style; after a failed submission the error summary has focus.
 */
const e2e = setUpE2E()

/** The radios in order: 1 Emerging … 4 Thriving, then Not sure yet. */
const radioCount = 5

/** Presses a key that loads another page; returns that page's status. */
async function pressToNavigate(page: Page, key: string): Promise<number> {
  return documentStatus(page, () => page.keyboard.press(key))
}

/** With focus somewhere before the criterion, chooses its level with arrow keys (1–4, or 5 for Not sure yet). */
async function chooseLevel(page: Page, code: string, choice: number): Promise<void> {
  const radios = page.locator(`input[name="level-${code}"]`)
  if (!(await isFocused(radios))) await tabTo(page, radios)
  let current = await radios.evaluateAll((inputs) => inputs.findIndex((input) => (input as HTMLInputElement).checked))
  if (current === -1) {
    // Tab lands on the first radio of a group with none chosen; Space chooses it.
    await press(page, 'Space')
    current = 0
  }
  const steps = choice - 1 - current
  for (let i = 0; i < Math.abs(steps); i++) await press(page, steps > 0 ? 'ArrowDown' : 'ArrowUp')
  expect(await radios.nth(choice - 1).isChecked()).toBe(true)
  expect(await isFocused(radios.nth(choice - 1))).toBe(true)
}

async function typeEvidence(page: Page, code: string, text: string): Promise<void> {
  const evidence = page.locator(`#evidence-${code}`)
  if (!(await isFocused(evidence))) await tabTo(page, evidence)
  await page.keyboard.type(text)
  expect(await evidence.inputValue()).toBe(text)
}

async function completeDomain(page: Page): Promise<number> {
  await tabTo(page, page.getByRole('button', { name: 'Mark this domain as complete' }))
  return pressToNavigate(page, 'Enter')
}

test('a partner answers, completes and submits the whole self-assessment with the keyboard alone, with focus always visible', async () => {
  // Setting up (with the mouse, not under test): the ICS lead invites a partner for Healthwatch Wirral, who accepts.
  const email = 'sam.okafor@healthwatch-wirral.example.org'
  const password = 'copper-kettle-orchard-17'
  const lead = (await e2e.session()).page
  const { page } = await e2e.session()
  await signIn(lead, demoUsers.icsLead)
  await inviteAndAccept(lead, page, { name: 'Sam Okafor', email, role: 'Partner respondent', organisation: 'Healthwatch Wirral' }, password)
  await signOut(page)

  // From here on, only the keyboard.
  await page.goto('/sign-in')
  await tabTo(page, page.getByLabel('Email address'))
  await page.keyboard.type(email)
  await tabTo(page, page.getByLabel('Password', { exact: true }))
  await page.keyboard.type(password)
  expect(await pressToNavigate(page, 'Enter')).toBe(200)
  expect(page.url()).toMatch(/\/home$/)

  await tabTo(page, page.getByRole('link', { name: 'Your self-assessments' }))
  expect(await pressToNavigate(page, 'Enter')).toBe(200)
  const openRound = page.locator('.nhsuk-card').filter({ has: page.locator('.nhsuk-tag', { hasText: 'Not started' }) })
  await tabTo(page, openRound.getByRole('link'))
  expect(await pressToNavigate(page, 'Enter')).toBe(200)
  const taskList = page.url()
  expect(await heading(page)).toBe('Healthwatch Wirral: self-assessment')

  const domains = ['Ambition & vision', 'Leadership & culture', 'Design & delivery', 'Governance']
  for (const [index, domain] of domains.entries()) {
    await tabTo(page, page.getByRole('link', { name: domain, exact: true }))
    expect(await pressToNavigate(page, 'Enter')).toBe(200)
    expect(await heading(page)).toBe(domain)
    const codes = await criterionCodes(page)

    if (index === 0) {
      // Maturing without evidence, then "Mark this domain as complete": the error summary takes focus.
      await chooseLevel(page, codes[0]!, 3)
      expect(await completeDomain(page)).toBe(400)
      const errors = await errorSummaryFocused(page)
      expect(errors[0]).toMatch(new RegExp(`^Enter the evidence for ${codes[0]} `))
      await expectFocusVisible(page)
      // Its first link takes focus to the evidence box.
      await tabTo(page, page.locator('.nhsuk-error-summary a').first(), { maxStops: 1 })
      await press(page, 'Enter')
      await page.waitForFunction((id) => document.activeElement?.id === id, `evidence-${codes[0]}`)
      await expectFocusVisible(page)
      await typeEvidence(page, codes[0]!, 'Joint vision agreed by the partnership board.')
      // Back with Shift+Tab to the level, and up to Thriving.
      await tabTo(page, page.locator(`input[name="level-${codes[0]}"]`), { backwards: true })
      await press(page, 'ArrowDown')
      expect(await page.locator(`#criterion-${codes[0]}`).getByRole('radio', { name: '4 – Thriving', exact: true }).isChecked()).toBe(true)
    }

    for (const [i, code] of codes.entries()) {
      if (index === 0 && i === 0) continue
      const choice = [2, 1, 5, 3, 4][(index + i) % radioCount]!
      await chooseLevel(page, code, choice)
      await typeEvidence(page, code, `Evidence for ${code}.`)
    }
    expect(await completeDomain(page)).toBe(200)
    expect(page.url()).toBe(taskList)
  }
  expect(await page.locator('main').textContent()).toContain('You have answered 16 of 16 criteria.')

  // Check answers (a link styled as a button: Space presses it, as NHS.UK's button script makes it).
  await tabTo(page, page.getByRole('button', { name: 'Check your answers and submit' }))
  expect(await pressToNavigate(page, 'Space')).toBe(200)
  expect(page.url()).toBe(`${taskList}/check`)

  // Submitting without the declaration fails and focuses the error summary; its link leads to the checkbox.
  const submit = page.getByRole('button', { name: 'Submit the self-assessment' })
  await tabTo(page, submit)
  expect(await pressToNavigate(page, 'Enter')).toBe(400)
  expect(await errorSummaryFocused(page)).toEqual(['Confirm that these answers reflect the view of Healthwatch Wirral'])
  await expectFocusVisible(page)
  await tabTo(page, page.locator('.nhsuk-error-summary a').first(), { maxStops: 1 })
  await press(page, 'Enter')
  await page.waitForFunction(() => document.activeElement?.id === 'declaration')
  await expectFocusVisible(page)
  await press(page, 'Space')
  expect(await page.locator('#declaration').isChecked()).toBe(true)
  await tabTo(page, submit)
  expect(await pressToNavigate(page, 'Enter')).toBe(200)
  expect(page.url()).toBe(`${taskList}/confirmation`)
  expect(await heading(page)).toBe('Self-assessment submitted')
  expect(await page.locator('.nhsuk-panel__body').textContent()).toMatch(/PR-\d{4}-\d{5}/)
})
