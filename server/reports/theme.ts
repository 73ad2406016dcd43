/**
 * The look of every report: NHS identity colours, type sizes and the heatmap's scale. Colours
 * behind text keep at least 4.5:1 contrast with the text colour, and the heatmap scale is one
 * hue from light to dark, so it reads in greyscale and for colour-blind readers; the cells'
 * text says the level anyway, so colour is never the only signal.
 */

export const colours = {
  text: '#212b32',
  secondaryText: '#4c6272',
  nhsBlue: '#005eb8',
  darkBlue: '#003087',
  border: '#aeb7bd',
  rule: '#d8dde0',
  paleGrey: '#f0f4f5',
  calloutFill: '#e8f1f8',
  watermark: '#768692',
} as const

/** Heatmap fills by maturity level (1 Emerging .. 4 Thriving); no level stays white. */
export const levelFills: Record<number, string> = {
  1: '#f0f4f5',
  2: '#d2e3f3',
  3: '#a9cbea',
  4: '#7fb1de',
}

export const type = {
  body: 10.5,
  lead: 13,
  note: 9,
  h1: 22,
  h2: 15,
  h3: 12,
  table: 9,
  compactTable: 7.5,
  furniture: 8.5,
  chart: 8.5,
} as const

/** A4 in points, with room above and below the content for the header and footer. */
export const page = {
  size: 'A4',
  width: 595.28,
  height: 841.89,
  margins: { top: 68, bottom: 64, left: 50, right: 50 },
} as const
