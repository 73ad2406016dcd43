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

const files: Record<FontName, string> = {
  regular: '400Regular/SourceSans3_400Regular.ttf',
  semibold: '600SemiBold/SourceSans3_600SemiBold.ttf',
  bold: '700Bold/SourceSans3_700Bold.ttf',
}

interface Fontkit {
  create(buffer: Uint8Array): PDFKit.ParsedFont
}

// The fontkit that pdfkit itself uses (resolved from pdfkit's own folder), so the parsed fonts
// are exactly what pdfkit would have made from the files.
const requireFromPdfkit = createRequire(require.resolve('pdfkit'))
const packageFolder = path.dirname(require.resolve('@expo-google-fonts/source-sans-3/package.json'))

let parsed: Record<FontName, PDFKit.ParsedFont> | undefined

export function reportFonts(): Record<FontName, PDFKit.ParsedFont> {
  if (!parsed) {
    const fontkit = requireFromPdfkit('fontkit') as Fontkit
    const load = (name: FontName) => fontkit.create(readFileSync(path.join(packageFolder, files[name])))
    parsed = { regular: load('regular'), semibold: load('semibold'), bold: load('bold') }
  }
  return parsed
}
