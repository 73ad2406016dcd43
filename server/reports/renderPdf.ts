import type { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { setImmediate as nextTurn } from 'node:timers/promises'
import PDFDocument from 'pdfkit'
import { chartHeight, drawChart } from './charts'
import { reportFonts, type FontName } from './fonts'
import type { Block, FigureBlock, ListBlock, ParagraphBlock, ReportDocument, RichText, Run, TableBlock, TableCell } from './model'
import './pdfkitTypes'
import { colours, page, type } from './theme'
import { formatDateTime } from '../time/london'

/**
 * The one module that talks to pdfkit: lays out a ReportDocument on A4 pages as a tagged PDF
 * (PDF 1.7, en-GB, title shown by readers). Every heading, paragraph, list, table and figure is
 * a structure element under one Document element, added in reading order; page furniture
 * (header, footer, protective marking, DRAFT watermark, repeated table headers, cell shading)
 * is marked as artifacts, so assistive technology reads the report and nothing else.
 *
 * Tables are laid out here rather than with pdfkit's doc.table(): that one neither repeats the
 * header row on a new page nor lets the repeat be an artifact, and a row must never be split
 * across pages.
 */

const contentWidth = page.width - page.margins.left - page.margins.right
const left = page.margins.left
const bottomLimit = page.height - page.margins.bottom
/** Hand the event loop back at least this often (ms) while laying out, so other requests are served. */
const yieldAfterMs = 8

type StructElement = PDFKit.PDFStructureElement

const headingSizes = { 1: type.h1, 2: type.h2, 3: type.h3 } as const
const paragraphSizes = { body: type.body, lead: type.lead, note: type.note, callout: type.body } as const

function runsOf(text: RichText): Run[] {
  return typeof text === 'string' ? [{ text }] : text
}

function plain(text: RichText): string {
  return runsOf(text)
    .map((r) => r.text)
    .join('')
}

function cellOf(cell: string | TableCell): TableCell {
  return typeof cell === 'string' ? { text: cell } : cell
}

/**
 * How many reports are laid out at once in this process. Laying out is CPU work done in turns
 * of a few milliseconds; with every download taking its turn in each pass of the event loop, 20
 * at once would keep a page request waiting 20 turns. Beyond these, downloads wait their turn in
 * order, and other requests are served between any two turns.
 */
const concurrentRenders = 2
let rendering = 0
const waiting: Array<() => void> = []

async function renderSlot(): Promise<() => void> {
  if (rendering >= concurrentRenders) await new Promise<void>((resolve) => waiting.push(resolve))
  else rendering++
  return () => {
    const next = waiting.shift()
    if (next) next()
    else rendering--
  }
}

/**
 * Writes the report to `output` as it is laid out; resolves once the whole file is written, or
 * as soon as the reader goes away (a download cancelled), when it stops laying out.
 */
export async function writePdf(report: ReportDocument, output: Writable): Promise<void> {
  const release = await renderSlot()
  try {
    const fonts = reportFonts()
    const doc = new PDFDocument({
      font: fonts.initial,
      size: page.size,
      margins: { ...page.margins },
      pdfVersion: '1.7',
      tagged: true,
      lang: 'en-GB',
      displayTitle: true,
      // Pages are kept until the end so that each can say "Page n of m".
      bufferPages: true,
      info: {
        Title: report.title,
        Author: report.author,
        Subject: report.subject,
        Keywords: report.keywords.join(', '),
        Creator: 'PlaceReady',
        CreationDate: report.generatedAt,
        ModDate: report.generatedAt,
      },
    })
    for (const name of Object.keys(fonts.faces) as FontName[]) doc.registerFont(name, fonts.faces[name])
    const done = finished(output)
    // Awaited only later: a reader gone before then must not be an unhandled rejection
    // meanwhile, which would end the whole server process.
    done.catch(() => undefined)
    doc.pipe(output)
    const layout = new Layout(doc)
    let lastYield = performance.now()
    for (const [i, block] of report.blocks.entries()) {
      if (output.destroyed) break
      layout.block(block, report.blocks.slice(i + 1, i + 4))
      if (performance.now() - lastYield > yieldAfterMs) {
        await nextTurn()
        lastYield = performance.now()
      }
    }
    if (output.destroyed) {
      doc.unpipe(output)
      await done.catch(() => undefined)
      return
    }
    await layout.finish(report)
    doc.end()
    await done
  } finally {
    release()
  }
}

class Layout {
  private readonly root: StructElement

  constructor(private readonly doc: PDFKit.PDFDocument) {
    this.root = doc.struct('Document')
    doc.addStructure(this.root)
    doc.fillColor(colours.text)
  }

  private readonly heights = new Map<string, number>()

  /** The height text takes in a face, size and width; remembered, as look-ahead measures blocks more than once. */
  private heightOf(font: FontName, size: number, text: string, width: number, lineGap = 0): number {
    const key = `${font}|${size}|${width}|${lineGap}|${text}`
    let height = this.heights.get(key)
    if (height === undefined) {
      this.font(font, size)
      height = this.doc.heightOfString(text, { width, lineGap })
      this.heights.set(key, height)
    }
    return height
  }

  private font(name: FontName, size: number): this {
    this.doc.font(name).fontSize(size)
    return this
  }

  private get y(): number {
    return this.doc.y
  }

  private space(points: number): void {
    this.doc.y += points
  }

  /** Starts a new page when less than `needed` points are left on this one. */
  private ensure(needed: number): void {
    if (this.y + needed > bottomLimit && this.y > page.margins.top + 1) this.newPage()
  }

  private newPage(): void {
    this.doc.addPage()
    this.doc.x = left
    this.doc.y = page.margins.top
  }

  private add(tag: string, draw: () => void, parent: StructElement = this.root, options: PDFKit.Mixins.StructureElementOptions = {}) {
    const element = this.doc.struct(tag, options, [draw])
    parent.add(element)
    return element
  }

  /** Drawing that is not content: page furniture, rules, shading. */
  private artifact(draw: () => void, kind: 'Pagination' | 'Layout' = 'Layout'): void {
    this.doc.markContent('Artifact', { type: kind })
    draw()
    this.doc.endMarkedContent()
  }

  /** Lays out one block; `following` (the next blocks) lets a heading or an introduction stay with what it introduces. */
  block(block: Block, following: Block[] = []): void {
    switch (block.kind) {
      case 'heading':
        return this.heading(block.level, block.text, following)
      case 'paragraph':
        return this.paragraph(block, following)
      case 'list':
        return this.list(block)
      case 'table':
        return this.table(block)
      case 'figure':
        return this.figure(block)
      case 'pageBreak':
        if (this.y > page.margins.top + 1) this.newPage()
        return
    }
  }

  private headingHeight(level: 1 | 2 | 3, text: string): number {
    return (
      this.heightOf(level === 3 ? 'semibold' : 'bold', headingSizes[level], text, contentWidth) + (level === 1 ? 12 : level === 2 ? 16 : 10)
    )
  }

  /**
   * How much room a block needs to start well: a heading and what follows it, the first lines
   * of a paragraph or list, a table's caption, header and first row, or a whole figure.
   */
  private startHeight(block: Block | undefined, following: Block[] = []): number {
    if (!block) return 0
    switch (block.kind) {
      case 'heading':
        return this.headingHeight(block.level, block.text) + Math.min(this.startHeight(following[0]), 200)
      case 'paragraph': {
        const size = paragraphSizes[block.style ?? 'body']
        const height = this.measure(block.text, size, contentWidth)
        const lines = Math.min(height, 3 * size * 1.35)
        const introduces = (following[0]?.kind === 'table' || following[0]?.kind === 'figure') && height === lines
        return lines + (block.style === 'callout' ? 24 : size * 0.6) + (introduces ? this.startHeight(following[0]) : 0)
      }
      case 'list':
        return block.items[0] ? Math.min(this.measure(block.items[0], type.body, contentWidth - 16), 3 * type.body * 1.35) + 3 : 0
      case 'table':
        return this.tableStart(block)
      case 'figure':
        return this.figureHeight(block)
      case 'pageBreak':
        return 0
    }
  }

  private heading(level: 1 | 2 | 3, text: string, following: Block[]): void {
    const size = headingSizes[level]
    const font: FontName = level === 3 ? 'semibold' : 'bold'
    if (this.y > page.margins.top + 1) this.space(level === 1 ? 4 : level === 2 ? 12 : 6)
    // Never leave a heading at the foot of a page: keep it with the start of what follows it.
    this.ensure(this.headingHeight(level, text) + this.startHeight(following[0], following.slice(1)))
    if (level <= 2) this.doc.outline.addItem(text)
    this.add(`H${level}`, () => {
      this.font(font, size).doc.fillColor(level === 3 ? colours.text : colours.darkBlue)
      this.doc.text(text, left, this.y, { width: contentWidth })
    })
    this.doc.fillColor(colours.text)
    this.space(level === 1 ? 8 : 4)
  }

  /** Text runs at the current position, switching weight mid-paragraph where a run is bold. */
  private runs(text: RichText, size: number, width: number, x: number, options: PDFKit.Mixins.TextOptions = {}): void {
    const runs = runsOf(text)
    runs.forEach((run, i) => {
      this.font(run.bold ? 'semibold' : 'regular', size)
      const continued = i < runs.length - 1
      if (i === 0) this.doc.text(run.text, x, this.y, { width, lineGap: 1.5, ...options, continued })
      else this.doc.text(run.text, { width, lineGap: 1.5, ...options, continued })
    })
  }

  private measure(text: RichText, size: number, width: number): number {
    // Bold runs are short labels: measuring in the regular face a little narrower allows for them.
    return this.heightOf('regular', size, plain(text), typeof text === 'string' ? width : width * 0.97, 1.5)
  }

  private paragraph(block: ParagraphBlock, following: Block[]): void {
    const size = paragraphSizes[block.style ?? 'body']
    // A short introduction stays on the page where its table or chart starts.
    const next = following[0]
    if (block.style !== 'callout' && (next?.kind === 'table' || next?.kind === 'figure')) {
      const height = this.measure(block.text, size, contentWidth)
      if (height <= 3 * size * 1.35) this.ensure(height + size * 0.6 + this.startHeight(next))
    }
    if (block.style === 'callout') {
      const pad = 10
      const width = contentWidth - 2 * pad - 4
      const height = this.measure(block.text, size, width) + 2 * pad
      this.ensure(height + 4)
      const top = this.y
      this.artifact(() => {
        this.doc.save().rect(left, top, contentWidth, height).fill(colours.calloutFill)
        this.doc.rect(left, top, 4, height).fill(colours.nhsBlue).restore()
      })
      this.doc.y = top + pad
      this.add('P', () => this.runs(block.text, size, width, left + 4 + pad))
      this.doc.y = top + height
      this.space(10)
      return
    }
    this.ensure(Math.min(this.measure(block.text, size, contentWidth), 3 * size * 1.3))
    this.doc.fillColor(block.style === 'note' ? colours.secondaryText : colours.text)
    this.add('P', () => {
      this.doc.fillColor(block.style === 'note' ? colours.secondaryText : colours.text)
      this.runs(block.text, size, contentWidth, left)
    })
    this.doc.fillColor(colours.text)
    this.space(size * 0.6)
  }

  private list(block: ListBlock): void {
    const list = this.doc.struct('L', block.ordered ? {} : {})
    this.root.add(list)
    const indent = 16
    block.items.forEach((item, i) => {
      const label = block.ordered ? `${i + 1}.` : '•'
      this.ensure(Math.min(this.measure(item, type.body, contentWidth - indent), 3 * type.body * 1.3))
      const top = this.y
      const li = this.doc.struct('LI')
      list.add(li)
      this.add(
        'Lbl',
        () => {
          this.font('regular', type.body).doc.fillColor(colours.text)
          this.doc.text(label, left + 2, top, { width: indent - 2, lineBreak: false })
        },
        li,
      )
      this.doc.y = top
      this.add('LBody', () => this.runs(item, type.body, contentWidth - indent, left + indent), li)
      li.end()
      this.space(3)
    })
    list.end()
    this.space(type.body * 0.4)
  }

  private tableGeometry(block: TableBlock) {
    const size = block.compact ? type.compactTable : type.table
    const pad = block.compact ? 2.5 : 4
    const totalWeight = block.columns.reduce((sum, c) => sum + c.weight, 0)
    const widths = block.columns.map((c) => (c.weight / totalWeight) * contentWidth)
    const xs = widths.map((_, i) => left + widths.slice(0, i).reduce((a, b) => a + b, 0))
    const rowHeight = (cells: TableCell[]) =>
      Math.max(
        ...cells.map((cell, i) => {
          return this.heightOf(cell.bold ? 'semibold' : 'regular', size, cell.text, widths[i]! - 2 * pad, 1)
        }),
      ) +
      2 * pad
    const header: TableCell[] = block.columns.map((c) => ({ text: c.header, bold: true }))
    const headerHeight = rowHeight(header)
    const captionHeight = this.heightOf('semibold', type.body, block.caption, contentWidth) + 6
    return {
      size,
      pad,
      widths,
      xs,
      rowHeight,
      header,
      headerHeight,
      captionHeight,
      maxRowHeight: bottomLimit - page.margins.top - headerHeight,
    }
  }

  /** The caption, the header row and the first row: what must fit for a table to start on this page. */
  private tableStart(block: TableBlock): number {
    const g = this.tableGeometry(block)
    const first = block.rows[0] ? Math.min(g.rowHeight(block.rows[0].map(cellOf)), g.maxRowHeight) : 0
    return 2 + g.captionHeight + g.headerHeight + first
  }

  private table(block: TableBlock): void {
    const doc = this.doc
    const { size, pad, widths, xs, rowHeight, header, headerHeight, maxRowHeight } = this.tableGeometry(block)
    const rows = block.rows.map((row) => row.map(cellOf))

    // The caption, the header and the first row stay together.
    this.space(2)
    this.ensure(this.tableStart(block) - 2)
    const table = doc.struct('Table')
    this.root.add(table)
    this.add(
      'Caption',
      () => {
        this.font('semibold', type.body).doc.fillColor(colours.text)
        doc.text(block.caption, left, this.y, { width: contentWidth })
      },
      table,
    )
    this.space(4)

    const drawCells = (
      cells: TableCell[],
      top: number,
      height: number,
      tag: (i: number) => 'TH' | 'TD' | null,
      tr: StructElement | null,
    ) => {
      this.artifact(() => {
        cells.forEach((cell, i) => {
          if (cell.fill)
            doc
              .save()
              .rect(xs[i]! + 0.5, top + 0.5, widths[i]! - 1, height - 1)
              .fill(cell.fill)
              .restore()
        })
        doc.save().lineWidth(0.5).strokeColor(colours.border)
        doc
          .moveTo(left, top + height)
          .lineTo(left + contentWidth, top + height)
          .stroke()
        doc.restore()
      })
      cells.forEach((cell, i) => {
        const draw = () => {
          this.font(cell.bold ? 'semibold' : 'regular', size).doc.fillColor(colours.text)
          const align = block.columns[i]?.align ?? 'left'
          doc.text(cell.text, xs[i]! + pad, top + pad, {
            width: widths[i]! - 2 * pad,
            height: height - 2 * pad,
            lineGap: 1,
            align,
            ellipsis: true,
          })
        }
        const kind = tag(i)
        if (tr && kind) {
          const scope = kind === 'TH' ? (cells === header ? 'Column' : 'Row') : undefined
          this.add(kind, draw, tr, scope ? { scope } : {})
        } else {
          this.artifact(draw, 'Pagination')
        }
      })
    }

    const headerTop = (top: number, asArtifact: boolean) => {
      if (asArtifact) return drawCells(header, top, headerHeight, () => null, null)
      const thead = doc.struct('THead')
      table.add(thead)
      const tr = doc.struct('TR')
      thead.add(tr)
      drawCells(header, top, headerHeight, () => 'TH', tr)
      tr.end()
      thead.end()
    }

    this.artifact(() => {
      doc.save().rect(left, this.y, contentWidth, headerHeight).fill(colours.paleGrey).restore()
      doc
        .save()
        .lineWidth(1)
        .strokeColor(colours.text)
        .moveTo(left, this.y)
        .lineTo(left + contentWidth, this.y)
        .stroke()
        .restore()
    })
    const firstTop = this.y
    headerTop(firstTop, false)
    this.doc.y = firstTop + headerHeight

    const tbody = doc.struct('TBody')
    table.add(tbody)
    for (const cells of rows) {
      const height = Math.min(rowHeight(cells), maxRowHeight)
      if (this.y + height > bottomLimit) {
        this.newPage()
        const top = this.y
        this.artifact(() => {
          doc.save().rect(left, top, contentWidth, headerHeight).fill(colours.paleGrey).restore()
          doc
            .save()
            .lineWidth(1)
            .strokeColor(colours.text)
            .moveTo(left, top)
            .lineTo(left + contentWidth, top)
            .stroke()
            .restore()
        })
        headerTop(top, true)
        this.doc.y = top + headerHeight
      }
      const top = this.y
      const tr = doc.struct('TR')
      tbody.add(tr)
      drawCells(cells, top, height, (i) => (i === 0 && block.rowHeaders ? 'TH' : 'TD'), tr)
      tr.end()
      this.doc.y = top + height
    }
    tbody.end()
    table.end()
    this.doc.x = left
    this.space(12)
  }

  /** The chart and its caption, which always share a page. */
  private figureHeight(block: FigureBlock): number {
    return 4 + chartHeight(block.chart) + 6 + this.heightOf('regular', type.note, block.caption, contentWidth)
  }

  private figure(block: FigureBlock): void {
    const height = chartHeight(block.chart)
    this.space(4)
    this.ensure(this.figureHeight(block) - 4)
    const top = this.y
    this.add('Figure', () => drawChart(this.doc, block.chart, { x: left, y: top, width: contentWidth }), this.root, {
      alt: block.alt,
      bbox: [left, top, left + contentWidth, top + height],
      placement: 'Block',
    })
    this.doc.y = top + height + 6
    this.doc.x = left
    // A P rather than a Caption: the Figure's contents are replaced by its alternative text.
    this.add('P', () => {
      this.font('regular', type.note).doc.fillColor(colours.secondaryText)
      this.doc.text(block.caption, left, this.y, { width: contentWidth })
    })
    this.doc.fillColor(colours.text)
    this.space(12)
  }

  /** Header, footer, marking and watermark on every page, once the page count is known. */
  async finish(report: ReportDocument): Promise<void> {
    const doc = this.doc
    this.root.end()
    const range = doc.bufferedPageRange()
    const generated = `Generated ${formatDateTime(report.generatedAt)} (UK time)`
    for (let i = 0; i < range.count; i++) {
      // Other requests get a turn between pages.
      if (i > 0 && i % 4 === 0) await nextTurn()
      doc.switchToPage(range.start + i)
      // Furniture sits in the margins: let it be drawn there without starting a new page.
      const margins = { ...doc.page.margins }
      doc.page.margins = { top: 0, bottom: 0, left: 0, right: 0 }
      this.artifact(() => {
        const marking = report.marking.toUpperCase()
        this.font('bold', type.furniture + 1).doc.fillColor(colours.text)
        const markingWidth = doc.widthOfString(marking)
        doc.text(marking, (page.width - markingWidth) / 2, 24, { lineBreak: false })
        doc.text(marking, (page.width - markingWidth) / 2, page.height - 30, { lineBreak: false })
        let headerWidth = contentWidth
        if (report.draft) {
          const notice = 'DRAFT – not yet published'
          this.font('bold', type.furniture).doc.fillColor(colours.text)
          const noticeWidth = doc.widthOfString(notice)
          doc.text(notice, page.width - left - noticeWidth, 40, { lineBreak: false })
          headerWidth -= noticeWidth + 12
        }
        this.font('regular', type.furniture).doc.fillColor(colours.secondaryText)
        doc.text(report.header, left, 40, { width: headerWidth, height: 14, ellipsis: true, lineBreak: false })
        doc
          .save()
          .lineWidth(0.5)
          .strokeColor(colours.rule)
          .moveTo(left, 54)
          .lineTo(page.width - left, 54)
          .stroke()
          .restore()
        doc
          .save()
          .lineWidth(0.5)
          .strokeColor(colours.rule)
          .moveTo(left, page.height - 50)
          .lineTo(page.width - left, page.height - 50)
          .stroke()
          .restore()
        doc.fillColor(colours.secondaryText).text(generated, left, page.height - 44, { lineBreak: false })
        const pageText = `Page ${i + 1} of ${range.count}`
        this.font('semibold', type.furniture).doc.fillColor(colours.text)
        doc.text(pageText, page.width - left - doc.widthOfString(pageText), page.height - 44, { lineBreak: false })
      }, 'Pagination')
      if (report.draft) {
        this.artifact(() => {
          doc.save()
          doc.rotate(-45, { origin: [page.width / 2, page.height / 2] })
          this.font('bold', 120).doc.fillColor(colours.watermark).fillOpacity(0.14)
          const width = doc.widthOfString('DRAFT')
          doc.text('DRAFT', page.width / 2 - width / 2, page.height / 2 - 60, { lineBreak: false })
          doc.restore()
        }, 'Pagination')
      }
      doc.page.margins = margins
    }
  }
}
