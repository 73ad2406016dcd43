/**
 * The one place where PlaceReady completes pdfkit's types. @types/pdfkit describes 0.17; we pin
 * pdfkit 0.20.2, whose own source (node_modules/pdfkit/js/pdfkit.js) accepts more than those
 * types say. Each addition below names the part of pdfkit that reads it.
 *
 * @types/pdfkit declares everything in the global PDFKit namespace, so completing it takes a
 * namespace, and pdfkit's default export is typed as an interface with a construct signature.
 */
/* eslint-disable @typescript-eslint/no-namespace, @typescript-eslint/no-misused-new */

declare global {
  namespace PDFKit {
    /**
     * A font already parsed by fontkit. pdfkit 0.20 takes one wherever it takes a font file
     * (PDFFontFactory.open: "typeof src?.layout === 'function'"), so a font is parsed once per
     * process rather than once per document.
     */
    interface ParsedFont {
      readonly postscriptName: string
      layout(text: string): unknown
      hasGlyphForCodePoint(codePoint: number): boolean
    }

    /** Document options with an embedded font as the default, so no standard font is ever loaded. */
    interface EmbeddedFontDocumentOptions extends Omit<PDFDocumentOptions, 'font'> {
      /** initFonts(options.font): the font the document starts with instead of Helvetica. */
      font: ParsedFont
    }

    interface PDFDocument {
      new (options: EmbeddedFontDocumentOptions): PDFDocument
    }

    namespace Mixins {
      interface PDFFont {
        registerFont(name: string, src: ParsedFont): this
      }

      interface StructureElementOptions {
        /** PDFStructureElement: a TH's /A << /O /Table /Scope … >> attribute. */
        scope?: 'Row' | 'Column' | 'Both'
        /** PDFStructureElement: /A << /O /Layout /BBox … >>, in page coordinates from the top left. */
        bbox?: [number, number, number, number]
        placement?: 'Block' | 'Inline'
      }
    }
  }
}

export {}
