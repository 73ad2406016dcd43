import type { Locator, Page } from 'playwright-core'

export interface FocusReport {
  /** The focused element, described. */
  element: string
  /** Whether anything other than the page itself has focus. */
  hasFocus: boolean
  /** Whether the element, or the label or children that draw it, looks different when focused. */
  visible: boolean
}

/**
 * Whether the focused element shows that it has focus: its computed outline, box shadow,
 * background, colour, border or underline (or those of its ::before/::after, children, labels or
 * parent, where NHS.UK draws the focus of radios, checkboxes and summaries) differ from how it
 * looks without focus. It measures the element focused, blurs it, measures again and focuses it
 * again, so the focus stays where the keyboard put it.
 */
export async function focusReport(page: Page): Promise<FocusReport> {
  return page.evaluate(() => {
    const properties = [
      'outline-style',
      'outline-width',
      'outline-color',
      'box-shadow',
      'background-color',
      'color',
      'border-top-color',
      'border-bottom-color',
      'border-bottom-width',
      'text-decoration-line',
      'text-decoration-thickness',
    ]
    const el = document.activeElement as HTMLElement | null
    if (!el || el === document.body || el === document.documentElement) return { element: 'nothing', hasFocus: false, visible: false }
    const drawnBy: Element[] = [el, ...Array.from(el.querySelectorAll('*')).slice(0, 20)]
    if ('labels' in el && el.labels) drawnBy.push(...Array.from(el.labels as NodeListOf<HTMLLabelElement>))
    if (el.parentElement) drawnBy.push(el.parentElement)
    const snapshot = () =>
      drawnBy
        .flatMap((node) => [null, '::before', '::after'].map((pseudo) => getComputedStyle(node, pseudo)))
        .map((style) => properties.map((p) => style.getPropertyValue(p)).join('|'))
        .join('\n')
    const text = (el.getAttribute('aria-label') ?? el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 50)
    const element = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${text ? ` "${text}"` : ''}`
    const focused = snapshot()
    el.blur()
    const unfocused = snapshot()
    el.focus({ preventScroll: true })
    return { element, hasFocus: true, visible: focused !== unfocused }
  })
}

/** Throws unless something has focus and shows it. */
export async function expectFocusVisible(page: Page): Promise<string> {
  const report = await focusReport(page)
  if (!report.hasFocus) throw new Error(`Nothing has focus on ${page.url()}`)
  if (!report.visible) throw new Error(`The focused ${report.element} on ${page.url()} shows no visible focus style`)
  return report.element
}

/** Presses a key and checks that focus is visible afterwards. */
export async function press(page: Page, key: string): Promise<string> {
  await page.keyboard.press(key)
  return expectFocusVisible(page)
}

/** Whether the target (or one of the elements it matches, such as the radios of a group) has focus. */
export async function isFocused(target: Locator): Promise<boolean> {
  return target.evaluateAll((elements) => elements.some((el) => el === document.activeElement))
}

/**
 * Presses Tab (or Shift+Tab) until the target has focus, checking at every stop that focus
 * is visible. Fails if the target is not reached within `maxStops` stops.
 */
export async function tabTo(page: Page, target: Locator, options: { backwards?: boolean; maxStops?: number } = {}): Promise<void> {
  const key = options.backwards ? 'Shift+Tab' : 'Tab'
  const stops: string[] = []
  for (let i = 0; i < (options.maxStops ?? 80); i++) {
    stops.push(await press(page, key))
    if (await isFocused(target)) return
  }
  throw new Error(
    `Pressed ${key} ${stops.length} times on ${page.url()} without reaching ${String(target)}; focus went to:\n${stops.join('\n')}`,
  )
}
