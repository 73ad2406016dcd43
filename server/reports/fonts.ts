import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import './pdfkitTypes'

/**
 * Source Sans 3 (SIL Open Font License 1.1, shipped by @expo-google-fonts/source-sans-3), embedded
 * in every report so every character renders (≥, ≤, Welsh and accented names) and no standard
 * PDF font is ever used. Each font is read and parsed once per process: parsing a 380 kB font
 * costs about 2 ms, which every report would otherwise pay three times.
 */

export type FontName = 'regular' | 'semibold' | 'bold'

const files: Record<FontName | 'light', string> = {
  regular: '400Regular/SourceSans3_400Regular.ttf',
  semibold: '600SemiBold/SourceSans3_600SemiBold.ttf',
  bold: '700Bold/SourceSans3_700Bold.ttf',
  light: '300Light/SourceSans3_300Light.ttf',
}

interface Fontkit {
  create(buffer: Uint8Array): PDFKit.ParsedFont
}

interface Position {
  xAdvance: number
  yAdvance: number
  xOffset: number
  yOffset: number
}

interface GlyphRun {
  glyphs: unknown[]
  positions: Position[]
  readonly advanceWidth: number
}

/** Words shaped per face kept at most; report text repeats a few thousand words. */
const layoutCacheSize = 20_000

/**
 * A parsed font whose layouts (OpenType shaping: ligatures, kerning) are worked out once per
 * process for each word rather than once per document: shaping was a fifth of a report's time.
 * pdfkit asks the font to lay out one word at a time and then scales the positions it gets in
 * place, so each caller gets its own copy of the positions (the glyphs it only reads).
 */
function withSharedLayouts(font: PDFKit.ParsedFont): PDFKit.ParsedFont {
  const cache = new Map<string, { glyphs: unknown[]; positions: Position[] }>()
  const shape = font.layout.bind(font) as (text: string, features?: unknown) => GlyphRun
  const layout = (text: string, features?: unknown): GlyphRun => {
    if (features !== undefined) return shape(text, features)
    let shaped = cache.get(text)
    if (!shaped) {
      const run = shape(text)
      shaped = {
        glyphs: run.glyphs,
        positions: run.positions.map((p) => ({ xAdvance: p.xAdvance, yAdvance: p.yAdvance, xOffset: p.xOffset, yOffset: p.yOffset })),
      }
      if (cache.size >= layoutCacheSize) cache.clear()
      cache.set(text, shaped)
    }
    const positions = shaped.positions.map((p) => ({ ...p }))
    return {
      glyphs: shaped.glyphs,
      positions,
      get advanceWidth() {
        return positions.reduce((sum, p) => sum + p.xAdvance, 0)
      },
    }
  }
  return new Proxy(font, {
    get(target, property) {
      if (property === 'layout') return layout
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}

// The fontkit that pdfkit itself uses (resolved from pdfkit's own folder), so the parsed fonts
// are exactly what pdfkit would have made from the files.
const requireFromPdfkit = createRequire(require.resolve('pdfkit'))
const packageFolder = path.dirname(require.resolve('@expo-google-fonts/source-sans-3/package.json'))

export interface ReportFonts {
  /** The faces reports use, by the names they are registered under. */
  faces: Record<FontName, PDFKit.ParsedFont>
  /**
   * What a document starts with instead of Helvetica. Never drawn with, so never embedded: a
   * face the report also uses would be opened afresh and compared, name table and all, at every
   * switch to it (pdfkit caches a registered font under its name only when no font of the same
   * PostScript name is already open), which cost a tenth of a report's time.
   */
  initial: PDFKit.ParsedFont
}

let parsed: ReportFonts | undefined

export function reportFonts(): ReportFonts {
  if (!parsed) {
    const fontkit = requireFromPdfkit('fontkit') as Fontkit
    const load = (name: FontName | 'light') => withSharedLayouts(fontkit.create(readFileSync(path.join(packageFolder, files[name]))))
    parsed = { faces: { regular: load('regular'), semibold: load('semibold'), bold: load('bold') }, initial: load('light') }
  }
  return parsed
}
