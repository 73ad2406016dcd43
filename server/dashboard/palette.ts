/**
 * The heatmap's colours: a sequential blue scale in the Analysis Function's blues, one fill per
 * maturity level, darker for higher levels, each with the text colour that reads on it.
 *
 * Four steps of one hue cannot each be 3:1 against their neighbours (that would need 27:1 from
 * lightest to darkest, and 21:1 is the most there is), so the heatmap separates every cell from
 * the next with a white gap instead, and every fill has at least 3:1 against that gap (WCAG 1.4.11):
 * neighbouring cells are always told apart by the gap, and the level is written in each cell too.
 */

export interface LevelColour {
  level: number
  fill: string
  text: string
}

/** The colour between cells (the page's white). */
export const gapColour = '#ffffff'
/** NHS.UK's text colour, used on light fills. */
export const darkText = '#212b32'
export const lightText = '#ffffff'

/** Fills for levels 1..4, lightest first. */
const fills = ['#5897cb', '#2073bc', '#185494', '#0b2a45']

/** A cell with no level: white, with a dashed border (see app.css) and a dash for text. */
export const noLevelColour: LevelColour = { level: 0, fill: '#ffffff', text: darkText }

function channel(hex: string, offset: number): number {
  const value = parseInt(hex.slice(offset, offset + 2), 16) / 255
  return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4
}

/** WCAG relative luminance of a #rrggbb colour. */
export function relativeLuminance(hex: string): number {
  const h = hex.replace('#', '')
  return 0.2126 * channel(h, 0) + 0.7152 * channel(h, 2) + 0.0722 * channel(h, 4)
}

/** WCAG contrast ratio between two #rrggbb colours, from 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number]
  return (light + 0.05) / (dark + 0.05)
}

/** The darker or lighter text, whichever has more contrast on the fill. */
function textFor(fill: string): string {
  return contrastRatio(fill, darkText) >= contrastRatio(fill, lightText) ? darkText : lightText
}

/**
 * The colours for each level of a framework with `levelCount` levels (4 in the default). A
 * framework with fewer levels uses the darkest end of the scale, so the highest level is always
 * the darkest; one with more reuses the scale from the top down (the level is written in the cell).
 */
export function levelColours(levelCount: number): LevelColour[] {
  return Array.from({ length: levelCount }, (_, i) => {
    const index = Math.max(0, fills.length - levelCount + i)
    const fill = fills[Math.min(index, fills.length - 1)]!
    return { level: i + 1, fill, text: textFor(fill) }
  })
}

/** The CSS class of a heatmap cell at a level (see app.css): `placeready-heat--1` .. `--4`, `--none`. */
export function heatClass(level: number | null, levelCount: number): string {
  if (level === null) return 'placeready-heat--none'
  return `placeready-heat--${Math.max(1, Math.min(fills.length, fills.length - levelCount + level))}`
}

/** Colours for chart series (domains, levels): the Analysis Function's categorical palette, in its order. */
export const seriesColours = ['#12436d', '#28a197', '#801650', '#f46a25', '#3d3d3d', '#a285d1']
