import { execFileSync } from 'node:child_process'
import type { Page } from 'playwright-core'

/**
 * The sans-serif fonts the reflow and text-zoom checks run with, one pass each, so a page that
 * only fits with narrow glyphs fails here rather than in front of a user. Our pages ask for
 * `arial, sans-serif` (NHS.UK's stack without its licensed web font): Liberation Sans is what a
 * machine with Arial's metrics shows, DejaVu Sans is the wider font most Linux desktops fall back to.
 * `.ci/run` installs both (Debian's fonts-liberation and fonts-dejavu-core).
 */
export const fallbackFonts = [
  { family: 'Liberation Sans', debianPackage: 'fonts-liberation', suffix: '' },
  { family: 'DejaVu Sans', debianPackage: 'fonts-dejavu-core', suffix: '--dejavu' },
] as const

export type FallbackFont = (typeof fallbackFonts)[number]

let installedChecked = false

/** Fails with the package to install when fontconfig does not have one of the fonts. */
export function assertFallbackFontsInstalled(): void {
  if (installedChecked) return
  for (const font of fallbackFonts) {
    let matched: string
    try {
      matched = execFileSync('fc-match', ['-f', '%{family}', font.family], { encoding: 'utf8' })
    } catch (error) {
      throw new Error(`Browser checks need fontconfig's fc-match to find "${font.family}" (apt-get install fontconfig)`, { cause: error })
    }
    if (!matched.split(',').includes(font.family))
      throw new Error(
        `Browser checks need the font "${font.family}" (fontconfig matched "${matched}" instead): apt-get install ${font.debianPackage}`,
      )
  }
  installedChecked = true
}

/**
 * Makes `family` the only font of every sans-serif text on the page, through a constructed
 * stylesheet (CSSOM, so the page's strict CSP allows it), leaving monospace text as it is.
 * Returns a function that takes it away again.
 */
export async function useOnlyFont(page: Page, font: FallbackFont): Promise<() => Promise<void>> {
  assertFallbackFontsInstalled()
  const inUse = await page.evaluate((family) => {
    const sheet = new CSSStyleSheet()
    sheet.replaceSync(
      `html, body, body *:not(code):not(pre):not(kbd):not(samp):not(.placeready-code) { font-family: "${family}" !important; }`,
    )
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]
    ;(window as unknown as { __placereadyFontSheet?: CSSStyleSheet }).__placereadyFontSheet = sheet
    // Guards the pass itself: a family the browser cannot find would silently fall back to a
    // default font, and the pass would check nothing new. Its glyphs must differ from a made-up family's.
    const context = document.createElement('canvas').getContext('2d')
    if (!context) return true
    const sample = 'The quick brown fox jumps over the lazy dog 0123456789'
    context.font = `16px "${family}", monospace`
    const wanted = context.measureText(sample).width
    context.font = '16px "No Such Font PlaceReady", monospace'
    return wanted !== context.measureText(sample).width
  }, font.family)
  if (!inUse) throw new Error(`Chromium does not draw with "${font.family}": apt-get install ${font.debianPackage}`)
  return async () => {
    await page.evaluate(() => {
      const holder = window as unknown as { __placereadyFontSheet?: CSSStyleSheet }
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== holder.__placereadyFontSheet)
      delete holder.__placereadyFontSheet
    })
  }
}
