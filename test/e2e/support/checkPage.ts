import fs from 'node:fs'
import path from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { repositoryRoot } from '../../helpers/serverProcess'
import { desktopViewport, monitorOf } from './browser'
import { fallbackFonts, useOnlyFont } from './fonts'

/** The WCAG 2.2 AA rule set: every rule axe tags for levels A and AA of WCAG 2.0, 2.1 and 2.2. */
export const axeTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']

export const screenshotDirectory = path.join(repositoryRoot, 'test-output', 'e2e', 'screenshots')

/** WCAG 1.4.10 Reflow: content at 320 CSS pixels wide (1280px at 400% zoom) needs no horizontal scrolling. */
export const reflowWidth = 320
/** Rounding in layout can leave a pixel over. */
const tolerance = 1

export interface CheckPageOptions {
  /** Selectors (besides the headings and controls of the main content) that must stay shown at 320px and with text at 200%. */
  keyContent?: string[]
  /**
   * Selectors of areas allowed to scroll sideways on their own, as WCAG 1.4.10 allows for content
   * that needs two dimensions, such as a wide data table or a chart. Say why where you use it.
   */
  allowScrolling?: string[]
  /**
   * Selectors of areas allowed to scroll sideways with text at 200% only: a table of several columns
   * whose words alone are then wider than the page (WCAG 1.4.4 asks for no loss of content, which
   * scrolling within the table is not). At 320px they must still reflow.
   */
  allowScrollingWithLargeText?: string[]
}

const checkedNames = new Set<string>()

/**
 * The checks every page type and state goes through, in one call:
 * - nothing wrong in the browser console so far (errors, warnings, CSP violations, uncaught errors);
 * - axe-core with the WCAG 2.2 A and AA rules: zero violations;
 * - reflow at 320 CSS px: no horizontal scrolling, the h1 and every heading and control in the
 *   main content still shown and inside the page, no clipped text;
 * - text at 200% (the root font size doubled, at 1280px): the same, so no content is lost;
 * - both of those once with each fallback font (Liberation Sans, then the wider DejaVu Sans) as the
 *   only sans-serif font, so the result does not depend on the fonts this machine happens to have;
 * - screenshots of all of them under test-output/e2e/screenshots/<name>*.png.
 * Every problem found is reported together, so one run shows them all.
 *
 *   await checkPage(page, 'assessment-domain-error')
 */
export async function checkPage(page: Page, name: string, options: CheckPageOptions = {}): Promise<void> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`checkPage: use a lower-case, hyphenated name, not "${name}"`)
  if (checkedNames.has(name)) throw new Error(`checkPage: "${name}" was already checked in this file; give each page state its own name`)
  checkedNames.add(name)
  const problems: string[] = []
  problems.push(...(monitorOf(page)?.problems() ?? []))
  problems.push(...(await axeProblems(page)))
  await screenshot(page, name)
  for (const font of fallbackFonts) {
    const restore = await useOnlyFont(page, font)
    try {
      const found = [
        ...(await reflowProblems(page, `${name}${font.suffix}`, options)),
        ...(await textZoomProblems(page, `${name}${font.suffix}`, options)),
      ]
      problems.push(...found.map((problem) => `[${font.family}] ${problem}`))
    } finally {
      await restore()
    }
  }
  if (problems.length > 0)
    throw new Error(`checkPage("${name}") at ${page.url()} found ${problems.length} problem(s):\n - ${problems.join('\n - ')}`)
}

/** axe-core's WCAG A and AA violations, one line each, naming the elements. */
export async function axeProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(axeTags).analyze()
  return results.violations.map((violation) => {
    const targets = violation.nodes.slice(0, 5).map((node) => `${node.target.join(' ')} ${node.html.replace(/\s+/g, ' ').slice(0, 100)}`)
    const more = violation.nodes.length > targets.length ? ` and ${violation.nodes.length - targets.length} more` : ''
    return `axe ${violation.id} (${violation.impact ?? 'unknown'}): ${violation.help} – ${targets.join(', ')}${more}`
  })
}

async function screenshot(page: Page, file: string): Promise<void> {
  fs.mkdirSync(screenshotDirectory, { recursive: true })
  await page.screenshot({ path: path.join(screenshotDirectory, `${file}.png`), fullPage: true, animations: 'disabled', caret: 'hide' })
}

/** Problems at 320 CSS px wide; the viewport is put back afterwards. */
export async function reflowProblems(page: Page, name: string, options: CheckPageOptions = {}): Promise<string[]> {
  const before = await layoutOf(page, options)
  const original = page.viewportSize() ?? desktopViewport
  await page.setViewportSize({ width: reflowWidth, height: 640 })
  try {
    const after = await layoutOf(page, options)
    await screenshot(page, `${name}--320px`)
    return describeLayoutProblems(before, after, `at ${reflowWidth}px wide`)
  } finally {
    await page.setViewportSize(original)
  }
}

/** Problems with text at 200%, at the desktop width; the text size is put back afterwards. */
export async function textZoomProblems(page: Page, name: string, options: CheckPageOptions = {}): Promise<string[]> {
  const before = await layoutOf(page, options)
  const original = page.viewportSize() ?? desktopViewport
  await page.setViewportSize(desktopViewport)
  const previous = await page.evaluate(() => {
    const root = document.documentElement
    const value = root.style.fontSize
    root.style.fontSize = '200%'
    return value
  })
  try {
    const after = await layoutOf(page, {
      ...options,
      allowScrolling: [...(options.allowScrolling ?? []), ...(options.allowScrollingWithLargeText ?? [])],
    })
    await screenshot(page, `${name}--text-200`)
    const problems = describeLayoutProblems(before, after, 'with text at 200%')
    // Guards the check itself: text sized in px would not grow, and the check would prove nothing.
    if (after.bodyFontSize < before.bodyFontSize * 1.9)
      problems.push(`text did not grow to 200% (body text ${before.bodyFontSize}px became ${after.bodyFontSize}px)`)
    return problems
  } finally {
    await page.evaluate((value) => {
      document.documentElement.style.fontSize = value
    }, previous)
    await page.setViewportSize(original)
  }
}

interface Layout {
  viewportWidth: number
  scrollWidth: number
  bodyFontSize: number
  /** Headings, controls and key content in the main content that are shown, by description. */
  shown: string[]
  /** Shown key content that sticks out of the page, or of its own scrolling container. */
  outside: string[]
  /** Elements that hide overflowing content (overflow: hidden or clip) and whose content is bigger than they are. */
  clipped: string[]
  /** Elements whose content is wider than they are, to be scrolled sideways on its own (overflow-x: auto or scroll). */
  scrolling: string[]
  /** What sticks out past the right edge, when the page scrolls sideways. */
  wide: string[]
  hasH1: boolean
}

function describeLayoutProblems(before: Layout, after: Layout, where: string): string[] {
  const problems: string[] = []
  if (!after.hasH1) problems.push(`no visible h1 ${where}`)
  if (after.scrollWidth > after.viewportWidth + tolerance)
    problems.push(
      `scrolls horizontally ${where}: the page is ${after.scrollWidth}px wide in a ${after.viewportWidth}px viewport` +
        (after.wide.length ? ` (widest: ${after.wide.join('; ')})` : ''),
    )
  const lost = before.shown.filter((item) => !after.shown.includes(item))
  if (lost.length)
    problems.push(`content hidden ${where}: ${lost.slice(0, 8).join('; ')}${lost.length > 8 ? ` and ${lost.length - 8} more` : ''}`)
  if (after.outside.length) problems.push(`content cut off ${where}: ${after.outside.slice(0, 8).join('; ')}`)
  if (after.clipped.length) problems.push(`content clipped ${where}: ${after.clipped.slice(0, 8).join('; ')}`)
  if (after.scrolling.length) problems.push(`content scrolls sideways ${where} inside ${after.scrolling.slice(0, 8).join('; ')}`)
  return problems
}

/** Measures the page as it is laid out now (after the browser has applied the latest size). */
async function layoutOf(page: Page, options: CheckPageOptions): Promise<Layout> {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
  return page.evaluate(
    ({ keyContent, allowScrolling, tolerance }) => {
      const describe = (el: Element): string => {
        const id = el.id ? `#${el.id}` : ''
        const classes = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).slice(0, 2).join('.')}` : ''
        const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40)
        const index = el.parentElement ? `:nth-child(${Array.from(el.parentElement.children).indexOf(el) + 1})` : ''
        return `${el.tagName.toLowerCase()}${id}${classes}${id || classes ? '' : index}${text ? ` "${text}"` : ''}`
      }
      /** Shown: rendered with a size, visible, and not the 1px visually-hidden pattern. */
      const isShown = (el: Element): boolean => {
        if (!el.checkVisibility({ visibilityProperty: true })) return false
        const rect = el.getBoundingClientRect()
        return rect.width > 1 && rect.height > 1
      }
      /** A radio or checkbox input is drawn at opacity 0 and shown by its label. */
      const shownControl = (el: Element): boolean => {
        if (isShown(el)) return true
        const labels = (el as HTMLInputElement).labels
        return labels ? Array.from(labels).some(isShown) : false
      }
      const scrollingAncestor = (el: Element): Element | null => {
        for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
          const overflowX = getComputedStyle(node).overflowX
          if ((overflowX === 'auto' || overflowX === 'scroll') && node.scrollWidth > node.clientWidth) return node
        }
        return null
      }
      const viewportWidth = document.documentElement.clientWidth
      const main = document.querySelector('main') ?? document.body
      const keySelector = [
        'h1',
        'h2',
        'h3',
        'h4',
        'a[href]',
        'button',
        'input',
        'select',
        'textarea',
        'summary',
        'label',
        'legend',
        ...keyContent,
      ].join(',')
      const keys = Array.from(main.querySelectorAll(keySelector))
      const shown: string[] = []
      const outside: string[] = []
      for (const el of keys) {
        if (!shownControl(el)) continue
        shown.push(describe(el))
        if (!isShown(el)) continue
        const rect = el.getBoundingClientRect()
        const container = scrollingAncestor(el)
        const left = container ? container.getBoundingClientRect().left - container.scrollLeft : 0
        const right = container ? left + container.scrollWidth : viewportWidth
        if (rect.left < left - tolerance || rect.right > right + tolerance)
          outside.push(`${describe(el)} spans ${Math.round(rect.left)}–${Math.round(rect.right)}px`)
      }
      for (const selector of keyContent) {
        if (!Array.from(document.querySelectorAll(selector)).some(isShown)) shown.push(`(missing) ${selector}`)
      }
      const clipped: string[] = []
      const scrolling: string[] = []
      for (const el of Array.from(document.body.querySelectorAll('*'))) {
        const style = getComputedStyle(el)
        const hides = (v: string) => v === 'hidden' || v === 'clip'
        const scrolls = (v: string) => v === 'auto' || v === 'scroll'
        if (!hides(style.overflowX) && !hides(style.overflowY) && !scrolls(style.overflowX)) continue
        if (!isShown(el) || el.children.length + (el.textContent?.trim() ? 1 : 0) === 0) continue
        const overX = el.scrollWidth > el.clientWidth + tolerance
        const overY = el.scrollHeight > el.clientHeight + tolerance
        if ((hides(style.overflowX) && overX) || (hides(style.overflowY) && overY))
          clipped.push(`${describe(el)} (${el.scrollWidth}×${el.scrollHeight} content in ${el.clientWidth}×${el.clientHeight})`)
        else if (scrolls(style.overflowX) && overX && !allowScrolling.some((selector) => el.matches(selector)))
          scrolling.push(`${describe(el)} (${el.scrollWidth}px of content in ${el.clientWidth}px)`)
      }
      const wide: string[] = []
      if (document.documentElement.scrollWidth > viewportWidth + tolerance) {
        for (const el of Array.from(document.body.querySelectorAll('*'))) {
          if (!isShown(el)) continue
          const rect = el.getBoundingClientRect()
          if (
            rect.right > viewportWidth + tolerance &&
            !Array.from(el.children).some((child) => child.getBoundingClientRect().right >= rect.right)
          )
            wide.push(`${describe(el)} ends at ${Math.round(rect.right)}px`)
          if (wide.length >= 5) break
        }
      }
      return {
        viewportWidth,
        scrollWidth: document.documentElement.scrollWidth,
        bodyFontSize: parseFloat(getComputedStyle(document.body).fontSize),
        shown,
        outside,
        clipped,
        scrolling,
        wide,
        hasH1: Array.from(document.querySelectorAll('h1')).some(isShown),
      }
    },
    { keyContent: options.keyContent ?? [], allowScrolling: options.allowScrolling ?? [], tolerance },
  )
}
