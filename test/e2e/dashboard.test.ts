import type { Page } from 'playwright-core'
import { timestamp } from '../../server/db/values'
import { heading } from './support/assertions'
import { checkPage } from './support/checkPage'
import { setUpE2E } from './support/harness'
import { signIn } from './support/journeys'
import { expectFocusVisible, isFocused, tabTo } from './support/keyboard'
import { demoUsers } from './support/server'

/**
 * The dashboard in Chromium: the ICS lead's (filled, filtered, sorted, an empty round), the place
 * lead's, and the home pages that lead to it, through checkPage (axe, reflow, text at 200%,
 * screenshots). The charts must draw with chart.js from our origin: no console error and no CSP
 * violation (the harness fails the test on either).
 *
 * The heatmap and the chart tables need two dimensions, so their own boxes may scroll sideways
 * (WCAG 1.4.10 allows it for data tables); the rest of the page must reflow.
 */
const e2e = setUpE2E()
const scrollingTables = { allowScrolling: ['.placeready-scroll'] }

/** Waits for every chart on the page to be drawn by chart.js, and returns their ids. */
async function drawnCharts(page: Page): Promise<string[]> {
  await page.waitForFunction(() => {
    const canvases = [...document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart]')]
    const chart = (window as unknown as { Chart?: { getChart(c: HTMLCanvasElement): unknown } }).Chart
    return chart !== undefined && canvases.every((c) => chart.getChart(c) !== undefined && c.width > 0 && c.height > 0)
  })
  return page.locator('canvas[data-chart]').evaluateAll((canvases) =>
    canvases
      .filter((c) => {
        // Drawn means pixels that are not all transparent.
        const canvas = c as HTMLCanvasElement
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
        return data.some((value, i) => i % 4 === 3 && value > 0)
      })
      .map((c) => c.getAttribute('data-chart')!),
  )
}

async function heatmapPlaces(page: Page): Promise<string[]> {
  return page.locator('#heatmap tbody th[scope="row"]').allTextContents()
}

test('the ICS lead’s dashboard: filled, filtered, sorted, by keyboard, and an empty round', async () => {
  const { page } = await e2e.session()
  await signIn(page, demoUsers.icsLead)
  await checkPage(page, 'home-ics-lead')
  await page.getByRole('link', { name: 'Open the dashboard' }).click()
  await page.waitForURL('**/dashboard')
  expect(await heading(page)).toMatch(/^Dashboard: Place development self-assessment, /)
  expect(await drawnCharts(page)).toEqual(['domain-levels', 'place-against-median', 'completion', 'readiness-trend', 'domain-trend'])
  expect(await heatmapPlaces(page)).toHaveLength(9)
  await checkPage(page, 'dashboard-filled', scrollingTables)

  // Filter with the form: one domain, two places.
  const filters = page.locator('form.placeready-filters')
  await filters.getByLabel('Domain', { exact: true }).selectOption({ label: 'Governance' })
  await filters.getByLabel('Wirral', { exact: true }).check()
  await filters.getByLabel('Halton', { exact: true }).check()
  await page.getByRole('button', { name: 'Apply filters' }).click()
  await page.waitForURL(/domain=GV/)
  expect(await heatmapPlaces(page)).toEqual(['Halton', 'Wirral'])
  expect(await page.locator('#heatmap thead th[id^="criterion-"]').allTextContents()).toEqual(
    expect.arrayContaining([expect.stringMatching(/^GV1/), expect.stringMatching(/^GV5/)]),
  )
  expect(await drawnCharts(page)).toHaveLength(5)
  await checkPage(page, 'dashboard-filtered', scrollingTables)

  // Sort by readiness with a link, keeping the filters.
  await page.getByRole('link', { name: 'readiness (lowest first)' }).click()
  await page.waitForURL(/sort=readiness/)
  expect(page.url()).toContain('domain=GV')

  // By keyboard alone: from the top of the page to the first cell of the heatmap, then into it.
  await page.goto('/dashboard')
  await page.waitForURL(/\/rounds\/\d+\/dashboard$/)
  const firstCell = page.locator('#heatmap tbody td.placeready-heat a').first()
  await tabTo(page, firstCell, { maxStops: 120 })
  await expectFocusVisible(page)
  const target = await firstCell.getAttribute('href')
  await page.keyboard.press('Enter')
  await page.waitForURL(`**${target}`)
  expect(await isFocused(page.locator('body'))).toBe(true)

  // A round open since yesterday that nobody has answered yet (a round that has not opened has no dashboard).
  const db = e2e.server.database.db
  const ics = (await db('ics').where({ slug: 'cheshire-and-merseyside-demo' }).first('id')) as { id: number } | undefined
  const anyRound = (await db('rounds').first('ics_id', 'framework_version_id')) as { ics_id: number; framework_version_id: number }
  const [round] = (await db('rounds').insert(
    {
      ics_id: ics?.id ?? anyRound.ics_id,
      framework_version_id: anyRound.framework_version_id,
      title: 'Place development self-assessment, opened yesterday',
      opens_at: timestamp(new Date(Date.now() - 86_400_000)),
      closes_at: timestamp(new Date(Date.now() + 60 * 86_400_000)),
      created_at: timestamp(),
    },
    ['id'],
  )) as Array<{ id: number }>
  const places = (await db('places')
    .where({ ics_id: ics?.id ?? anyRound.ics_id })
    .select('id')) as Array<{ id: number }>
  await db('round_places').insert(places.map((p) => ({ round_id: round!.id, place_id: p.id })))
  await page.goto(`/rounds/${round!.id}/dashboard`)
  expect(await page.locator('#summary-partners').textContent()).toMatch(/^0 of \d+ partner organisations$/)
  // Every place's cell shows no level yet.
  expect(await page.locator('#heatmap tbody td b', { hasText: '–' }).count()).toBe(9 * 16)
  expect(await drawnCharts(page)).toHaveLength(5)
  await checkPage(page, 'dashboard-empty-round', scrollingTables)
})

test('the place lead’s dashboard shows Wirral against the ICS median, and no other place', async () => {
  const { page } = await e2e.session()
  await signIn(page, demoUsers.placeLead)
  await checkPage(page, 'home-place-lead')
  await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Dashboard' }).click()
  await page.waitForURL(/\/rounds\/\d+\/dashboard$/)
  expect(await heatmapPlaces(page)).toEqual(['Wirral'])
  expect(await drawnCharts(page)).toHaveLength(5)
  const text = await page.locator('body').textContent()
  for (const other of ['Liverpool', 'Sefton', 'Halton', 'Knowsley', 'St Helens', 'Warrington', 'Cheshire East'])
    expect(text).not.toContain(other)
  await checkPage(page, 'dashboard-place', scrollingTables)
})

test('the partner’s home says what to do next, and the places list shows readiness and decisions', async () => {
  const partner = (await e2e.session()).page
  await signIn(partner, demoUsers.partner)
  await partner
    .getByRole('link', { name: /^Continue/ })
    .first()
    .waitFor()
  await checkPage(partner, 'home-partner')

  const viewer = (await e2e.session()).page
  await signIn(viewer, demoUsers.viewer)
  // Let the home page finish loading (its favicon) before moving on, so no request is cut short.
  await viewer.waitForLoadState('load')
  await viewer.goto('/places')
  expect(await viewer.locator('#places tbody tr').count()).toBe(9)
  await checkPage(viewer, 'places-list')
})

test('the dashboard is complete without JavaScript: every figure in a table, no empty chart boxes', async () => {
  // checkPage needs scripts in the page, so this state is checked by what it shows; the same page
  // with scripts has passed checkPage above.
  const { page } = await e2e.session({ javaScriptEnabled: false })
  await signIn(page, demoUsers.icsLead)
  await page.goto('/dashboard')
  await page.locator('#heatmap').waitFor()
  for (const canvas of await page.locator('canvas[data-chart]').all()) expect(await canvas.isVisible()).toBe(false)
  expect(await page.locator('table[id^="table-"]').count()).toBe(5)
  expect(await page.locator('#heatmap tbody tr').count()).toBe(9)
})
