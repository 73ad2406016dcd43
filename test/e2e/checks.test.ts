import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { launchBrowser, openSession, type Session } from './support/browser'
import { axeProblems, checkPage, reflowProblems, textZoomProblems } from './support/checkPage'
import { fallbackFonts } from './support/fonts'
import { expectFocusVisible } from './support/keyboard'

/**
 * The checks themselves must be able to fail: each planted fault in test/e2e/fixtures is caught.
 * These pages are local files, so this file needs no server.
 */
const fixture = (name: string) => pathToFileURL(path.join(__dirname, 'fixtures', name)).href

let browser: Browser
let session: Session

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})
beforeEach(async () => {
  session = await openSession(browser, 'http://localhost')
})
afterEach(async () => {
  await session.close()
})

async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('Expected the check to fail, but it passed')
}

test('checkPage fails a page with an unlabelled input, faint text, a fixed-width box, a box to scroll sideways, a link lost on small screens and a box that clips larger text', async () => {
  const { page } = session
  await page.goto(fixture('planted-faults.html'))
  const message = await failureOf(checkPage(page, 'planted-faults'))
  expect(message).toMatch(/axe label \(critical\): Form elements must have labels – input <input type="text" name="unlabelled">/)
  expect(message).toMatch(/axe color-contrast \(serious\): .* <p class="faint">/)
  expect(message).toMatch(/scrolls horizontally at 320px wide: the page is \d+px wide in a 320px viewport.*fixed-width/)
  expect(message).toMatch(/content scrolls sideways at 320px wide inside div\.scroll-box/)
  expect(message).toMatch(/content hidden at 320px wide: a.gone-when-narrow "A link small screens lose"/)
  expect(message).toMatch(/content clipped with text at 200%: div\.fixed-height/)
})

test('each check reports its own fault', async () => {
  const { page } = session
  await page.goto(fixture('planted-faults.html'))
  expect((await axeProblems(page)).map((p) => p.split(' ')[1])).toEqual(['color-contrast', 'label'])
  const reflow = await reflowProblems(page, 'planted-faults-reflow')
  expect(reflow).toEqual([
    expect.stringMatching(/^scrolls horizontally at 320px wide/),
    expect.stringMatching(/^content hidden at 320px wide: a.gone-when-narrow/),
    expect.stringMatching(/^content scrolls sideways at 320px wide inside div\.scroll-box "A 400 pixel wide line/),
  ])
  // An area that needs two dimensions may be let scroll on its own.
  expect(await reflowProblems(page, 'planted-faults-reflow-allowed', { allowScrolling: ['.scroll-box'] })).toHaveLength(2)
  const zoom = await textZoomProblems(page, 'planted-faults-text-zoom')
  expect(zoom).toEqual([expect.stringMatching(/^content clipped with text at 200%: div\.fixed-height/)])
})

test('the text zoom check fails when text does not grow, as text sized in pixels would not', async () => {
  const { page } = session
  await page.setContent(
    '<!DOCTYPE html><html lang="en"><title>Pixels</title><body style="font-size: 16px"><main><h1 style="font-size: 32px">Fixed</h1></main></body></html>',
  )
  expect(await textZoomProblems(page, 'planted-pixel-text')).toEqual(['text did not grow to 200% (body text 16px became 16px)'])
})

test('the focus check fails on a control without a focus style and passes on one with it', async () => {
  const { page } = session
  await page.goto(fixture('planted-faults.html'))
  await page.locator('#default-focus-style').focus()
  await page.keyboard.press('Tab')
  await expect(expectFocusVisible(page)).rejects.toThrow(
    /button#no-focus-style "A button with no focus style".*shows no visible focus style/,
  )
  await page.keyboard.press('Shift+Tab')
  await expect(expectFocusVisible(page)).resolves.toMatch(/^button#default-focus-style/)
})

test('the console monitor catches console errors, CSP violations and uncaught errors', async () => {
  const { page, monitor } = session
  await page.goto(fixture('console-faults.html'))
  await page.waitForFunction(() => document.readyState === 'complete')
  const problems = await waitForProblems(session, 3)
  expect(problems).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^Uncaught Error: A planted uncaught error/),
      expect.stringMatching(/^Console error on .*: A planted console error/),
      expect.stringMatching(/^Console error on .*: CSP violation: script-src-elem blocked inline/),
    ]),
  )
  expect(await page.title()).toBe('A page with planted console faults')
  await expect(checkPage(page, 'planted-console-faults')).rejects.toThrow(/A planted console error/)
  monitor.clear()
})

async function waitForProblems(s: Session, count: number): Promise<string[]> {
  for (let i = 0; i < 100 && s.monitor.problems().length < count; i++) await s.page.waitForTimeout(50)
  return s.monitor.problems()
}

test('the reflow and text-zoom checks run once per fallback font: a box that fits only with Liberation Sans fails the DejaVu Sans pass', async () => {
  const { page } = session
  await page.goto(fixture('narrow-glyphs.html'))
  // The box is made wider than the sample in Liberation Sans and narrower than in DejaVu Sans, with text at 200%.
  const widths = await page.evaluate(
    (families) => {
      const context = document.createElement('canvas').getContext('2d')!
      const sample = document.querySelector('.sample')!.textContent!
      return families.map((family) => {
        context.font = `32px "${family}"`
        return context.measureText(sample).width
      })
    },
    fallbackFonts.map((font) => font.family),
  )
  const [liberation, dejavu] = widths as [number, number]
  expect(dejavu).toBeGreaterThan(liberation * 1.05)
  await page.evaluate(
    (width) => document.documentElement.style.setProperty('--box-width', `${width}px`),
    Math.round((liberation + dejavu) / 2),
  )
  const message = await failureOf(checkPage(page, 'planted-narrow-glyphs'))
  expect(message).toMatch(/\[DejaVu Sans\] content scrolls sideways with text at 200% inside div\.box/)
  expect(message).not.toContain('[Liberation Sans]')
})
