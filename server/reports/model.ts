/**
 * A report as plain data: what it says, in reading order, with no layout and no pdfkit.
 * Report builders (placeReport.ts, systemReport.ts) turn the results read model into one of
 * these; renderPdf.ts lays it out and tags it. Keeping the two apart lets the builders be
 * tested as data and keeps every pdfkit call in one module.
 */

/** A piece of text with optional emphasis. */
export interface Run {
  text: string
  bold?: boolean
}

/** Text given as a plain string or as runs with emphasis. */
export type RichText = string | Run[]

export interface HeadingBlock {
  kind: 'heading'
  level: 1 | 2 | 3
  text: string
}

export interface ParagraphBlock {
  kind: 'paragraph'
  text: RichText
  /** lead: larger introductory text; note: smaller secondary text; callout: boxed, for the decision. */
  style?: 'lead' | 'note' | 'callout'
}

export interface ListBlock {
  kind: 'list'
  items: RichText[]
  ordered?: boolean
}

export interface TableCell {
  text: string
  /** Background colour (a heatmap cell); the text must still say what the colour means. */
  fill?: string
  bold?: boolean
}

export interface TableColumn {
  header: string
  /** Share of the table's width, relative to the other columns. */
  weight: number
  align?: 'left' | 'center' | 'right'
}

export interface TableBlock {
  kind: 'table'
  /** Read before the table, and tagged as its caption. */
  caption: string
  columns: TableColumn[]
  rows: Array<Array<string | TableCell>>
  /** The first cell of each row heads that row (TH, scope Row). */
  rowHeaders?: boolean
  /** Smaller type, for wide tables such as the heatmap. */
  compact?: boolean
}

/** A value on a chart scale, labelled, e.g. 3 "Maturing". */
export interface ScaleTick {
  value: number
  label: string
}

export interface Bar {
  label: string
  /** null: no value (drawn as "No level", no bar). */
  value: number | null
  /** What the bar's end says, e.g. "2.5". */
  valueLabel: string
}

/** Horizontal bars on one scale, optionally with a threshold line. */
export interface BarChart {
  type: 'bars'
  scale: { min: number; max: number; ticks: ScaleTick[] }
  threshold?: { value: number; label: string }
  bars: Bar[]
}

/** A before-and-after for several rows on one scale (trend since the previous round). */
export interface ChangeChart {
  type: 'change'
  scale: { min: number; max: number; ticks: ScaleTick[] }
  rows: Array<{ label: string; before: number | null; after: number | null }>
  beforeLabel: string
  afterLabel: string
}

export type Chart = BarChart | ChangeChart

export interface FigureBlock {
  kind: 'figure'
  /** Alternative text: what the chart shows, with its figures, for someone who cannot see it. */
  alt: string
  /** The visible caption under the chart. */
  caption: string
  chart: Chart
}

export interface PageBreakBlock {
  kind: 'pageBreak'
}

export type Block = HeadingBlock | ParagraphBlock | ListBlock | TableBlock | FigureBlock | PageBreakBlock

export interface ReportDocument {
  /** Document title (metadata, shown by readers in the title bar) and the header line. */
  title: string
  /** Metadata subject: one sentence on what the report is. */
  subject: string
  /** Metadata author: the body the report comes from. */
  author: string
  keywords: string[]
  /** Short text at the top of every page, e.g. "Wirral – place readiness report". */
  header: string
  /** The protective marking printed at the top and bottom of every page, e.g. OFFICIAL. */
  marking: string
  generatedAt: Date
  /** A DRAFT watermark on every page (results not yet published). */
  draft: boolean
  blocks: Block[]
}
