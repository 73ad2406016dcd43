/**
 * The one CSV writer of PlaceReady (every CSV download goes through here, through csv-stringify):
 * UTF-8 with a byte order mark so Excel reads accents and dashes right, text that could run as a
 * formula neutralised, numbers left as numbers, dates and times in UK time. Small tables are
 * written at once with toCsv; large ones stream with writeCsv, a row at a time, respecting
 * the reader's pace, so an export of any size holds only a few rows in memory.
 */
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { stringify } from 'csv-stringify'
import { stringify as stringifySync } from 'csv-stringify/sync'
import { eachRow, formatDay, formatLondonDateTime, neutralise, type Cell, type Column, type Rows, type Table } from './table'

export { arrayTable, neutralise, type Cell, type Column, type Table } from './table'

export const csvContentType = 'text/csv; charset=utf-8'

/** A cell as CSV writes it: numbers stay numbers, everything else becomes safe text. */
export function csvCell(value: Cell, kind?: Column<unknown>['kind']): string | number {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? value : ''
  if (typeof value === 'boolean') return value ? 'Yes' : 'No'
  if (value instanceof Date) return kind === 'date' ? formatDay(value) : formatLondonDateTime(value)
  return neutralise(value)
}

function cellsOf<Row>(table: Table<Row>, row: Row): Array<string | number> {
  return table.columns.map((c) => csvCell(c.value(row), c.kind))
}

/** The whole CSV as one string (with its byte order mark), for small tables. */
export function toCsv<Row>(table: Table<Row>, rows: Iterable<Row>): string {
  const records = [table.columns.map((c) => neutralise(c.header))]
  for (const row of rows) records.push(cellsOf(table, row) as string[])
  return stringifySync(records, { bom: true })
}

/**
 * Streams the CSV into out (an HTTP response, a file), ending it. Rows are pulled from the
 * iterable only as fast as out takes them, so a database cursor behind them is read at that pace.
 */
export async function writeCsv<Row>(out: Writable, table: Table<Row>, rows: Rows<Row>): Promise<void> {
  async function* records() {
    yield table.columns.map((c) => neutralise(c.header))
    for await (const row of eachRow(rows)) yield cellsOf(table, row)
  }
  await pipeline(Readable.from(records()), stringify({ bom: true }), out)
}
