import { londonWallClock } from '../time/london'

/**
 * The shape every export shares, whatever its format: a table is a name and its columns, and a
 * column knows its header, how to read its cell from a row, its kind and its width. The CSV writer
 * (csv.ts) and the Excel writer (excel.ts) both take these, so one definition serves both formats.
 */
export type Cell = string | number | boolean | Date | null | undefined

/**
 * text: anything, neutralised if it could be read as a formula; number: stays a number;
 * date: a calendar day (a Date, or a 'YYYY-MM-DD' string as due dates are stored);
 * datetime: an instant (a Date), shown in UK time.
 */
export type ColumnKind = 'text' | 'number' | 'date' | 'datetime'

export interface Column<Row> {
  header: string
  value: (row: Row) => Cell
  kind?: ColumnKind
  /** Width in characters for spreadsheets; defaults from the header and the kind. */
  width?: number
}

export interface Table<Row> {
  /** The sheet's name in a workbook (Excel allows 31 characters). */
  name: string
  columns: Column<Row>[]
}

/** Rows may come all at once (an array) or one by one from the database (an async iterable). */
export type Rows<Row> = Iterable<Row> | AsyncIterable<Row>

/** A table built from plain header names, for callers whose rows are already arrays of cells. */
export function arrayTable(name: string, headers: Array<string | { header: string; kind?: ColumnKind; width?: number }>): Table<Cell[]> {
  return {
    name,
    columns: headers.map((h, index) => {
      const spec = typeof h === 'string' ? { header: h } : h
      return { ...spec, value: (row: Cell[]) => row[index] }
    }),
  }
}

/**
 * A cell a spreadsheet could run as a formula starts with = + - @ (or a tab or carriage return,
 * which some programs strip before looking). Prefixing an apostrophe makes it plain text
 * (OWASP's advice for CSV injection). Numbers are never touched: -3 is a number, not a formula.
 */
const formulaStart = /^[=+\-@\t\r]/

export function neutralise(text: string): string {
  return formulaStart.test(text) ? `'${text}` : text
}

const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/

export { londonWallClock }

const pad = (n: number) => String(n).padStart(2, '0')

/** '2021-10-29 17:00:00' in UK time: what spreadsheets read as a date and time, and people read as one. */
export function formatLondonDateTime(date: Date): string {
  const t = londonWallClock(date)
  return `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`
}

/** '2021-10-29': the UK calendar day of an instant, or a stored day string as it is. */
export function formatDay(value: Date | string): string {
  if (typeof value === 'string') return value
  const t = londonWallClock(value)
  return `${t.year}-${pad(t.month)}-${pad(t.day)}`
}

export function isDayString(value: string): boolean {
  return dayPattern.test(value)
}

export function defaultWidth(column: Pick<Column<unknown>, 'header' | 'kind' | 'width'>): number {
  if (column.width) return column.width
  const byKind = { text: 24, number: 10, date: 12, datetime: 20 }[column.kind ?? 'text']
  return Math.min(60, Math.max(byKind, column.header.length + 2))
}

export async function* eachRow<Row>(rows: Rows<Row>): AsyncGenerator<Row> {
  for await (const row of rows as AsyncIterable<Row>) yield row
}
