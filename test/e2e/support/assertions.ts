import type { Page } from 'playwright-core'
import { monitorOf } from './browser'

/** Waits until the error summary is shown and has focus, as NHS.UK frontend's script gives it; returns its items. */
export async function errorSummaryFocused(page: Page): Promise<string[]> {
  const summary = page.locator('.nhsuk-error-summary')
  await summary.waitFor()
  await page.waitForFunction(() => document.activeElement?.classList.contains('nhsuk-error-summary') === true)
  return summary.getByRole('listitem').allTextContents()
}

/**
 * Runs the action (a click that submits a form or follows a link) and returns the status of the
 * page it leads to, after any redirects, once that page has loaded.
 */
export async function documentStatus(page: Page, action: () => Promise<unknown>): Promise<number> {
  const monitor = monitorOf(page)
  if (!monitor) throw new Error('documentStatus needs a page from a session')
  const before = monitor.documentResponses.length
  const navigationsBefore = monitor.navigations
  await action()
  const deadline = Date.now() + 15_000
  for (;;) {
    const final = monitor.documentResponses.slice(before).find((r) => r.status < 300 || r.status >= 400)
    if (final && monitor.navigations > navigationsBefore) {
      await page.waitForLoadState('load')
      return final.status
    }
    if (Date.now() > deadline) throw new Error(`No page loaded after the action on ${page.url()}`)
    await page.waitForTimeout(25)
  }
}

/** The page's h1, trimmed. */
export async function heading(page: Page): Promise<string> {
  return ((await page.locator('h1').first().textContent()) ?? '').replace(/\s+/g, ' ').trim()
}
