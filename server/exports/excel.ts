/**
 * The one module that imports exceljs. A workbook is a sheet per table: the header row bold and
 * frozen, columns sized, numbers as numbers, dates and times as real spreadsheet dates (in UK
 * time: a spreadsheet date has no time zone, so it holds what a UK clock showed), and text that
 * could run as a formula neutralised exactly as in CSV. Workbooks are written with exceljs's
 * streaming writer, a row at a time and at the pace of the reader, so a large export holds only
 * a few rows in memory.
 */
import { PassThrough, type Writable } from 'node:stream'
import ExcelJS from 'exceljs'
import { closedEarly, drained } from './drained'
import { defaultWidth, eachRow, isDayString, londonWallClock, neutralise, type Cell, type Column, type Rows, type Table } from './table'

export { arrayTable, neutralise, type Cell, type Column, type Table } from './table'

export const excelContentType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** One table and its rows, ready to be a sheet; made with sheet() so tables of different rows mix. */
export interface Sheet {
  table: Table<unknown>
  rows: Rows<unknown>
}

export function sheet<Row>(table: Table<Row>, rows: Rows<Row>): Sheet {
  return { table, rows } as unknown as Sheet
}

const numberFormats = { date: 'dd/mm/yyyy', datetime: 'dd/mm/yyyy hh:mm' } as const

/** A Date whose UTC reading is the UK wall-clock time of the instant: what Excel should show. */
function asSpreadsheetDate(date: Date): Date {
  const t = londonWallClock(date)
  return new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second))
}

/** A cell as the workbook holds it. */
export function excelCell(value: Cell, kind?: Column<unknown>['kind']): string | number | Date | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'boolean') return value ? 'Yes' : 'No'
  if (value instanceof Date) {
    const shown = asSpreadsheetDate(value)
    return kind === 'date' ? new Date(Date.UTC(shown.getUTCFullYear(), shown.getUTCMonth(), shown.getUTCDate())) : shown
  }
  if (kind === 'date' && isDayString(value)) return new Date(`${value}T00:00:00Z`)
  return neutralise(value)
}

/** Excel refuses sheet names over 31 characters or holding : \ / ? * [ ]. */
export function sheetName(name: string): string {
  return (
    name
      .replace(/[:\\/?*[\]]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 31)
      .trim() || 'Sheet'
  )
}

// How many rows to add before letting the zip writer catch up and checking the reader's pace.
// Small steps and a small backlog keep the sheet XML's buffers short-lived: buffers that wait
// long in the zip writer's queue outlive young-generation collections, and are then freed only
// by a full collection, which V8 puts off (at 112,000 rows, 200 rows and 2 MB made the process
// peak about 70 MB higher, for no gain in speed).
const rowsPerYield = 25
/** Sheet XML allowed to wait for compression before rows stop being added. */
const maxBacklogBytes = 256 * 1024

/**
 * How much of a sheet's XML is waiting to be compressed. exceljs's streaming writer hands rows
 * to its zip writer without waiting (its sheet stream ignores backpressure), so when deflate is
 * slower than rows arrive the XML piles up in memory: for a 100,000-row sheet, nearly all of
 * it. Its sheet stream (a StreamBuf) holds what the zip writer has not taken yet, and the zip
 * entry it writes into holds what deflate has not read: both are measured here, from exceljs
 * 4.4's internals, so that rows are added only as fast as they are compressed.
 */
function backlogBytes(worksheet: ExcelJS.Worksheet): number {
  const stream = (worksheet as unknown as { stream?: { buffers?: Array<{ length?: number }>; pipes?: Writable[] } }).stream
  if (!stream) return 0
  const waiting = (stream.buffers ?? []).reduce((sum, b) => sum + (b.length ?? 0), 0)
  return waiting + (stream.pipes ?? []).reduce((sum, pipe) => sum + pipe.writableLength, 0)
}

/** Streams the workbook into out (an HTTP response, a file) and ends it. */
export async function writeWorkbook(out: Writable, sheets: Sheet[]): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false })
  workbook.creator = 'PlaceReady'
  const finished = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve)
    out.once('error', reject)
    out.once('close', () => (out.writableFinished ? resolve() : reject(new Error(closedEarly))))
  })
  // Awaited only at the end: a download closed before then must not be an unhandled rejection
  // meanwhile, which would end the whole server process.
  finished.catch(() => undefined)
  for (const { table, rows } of sheets) {
    const worksheet = workbook.addWorksheet(sheetName(table.name), { views: [{ state: 'frozen', ySplit: 1 }] })
    worksheet.columns = table.columns.map((c, index) => ({
      // Headers can be typed data too (the dashboard's columns are places and domains).
      header: neutralise(c.header),
      key: String(index),
      width: defaultWidth(c),
      style: c.kind === 'date' || c.kind === 'datetime' ? { numFmt: numberFormats[c.kind] } : {},
    }))
    worksheet.getRow(1).font = { bold: true }
    worksheet.getRow(1).commit()
    let count = 0
    for await (const row of eachRow(rows)) {
      worksheet.addRow(table.columns.map((c) => excelCell(c.value(row), c.kind))).commit()
      if (++count % rowsPerYield === 0) {
        // A reader that went away (a cancelled download) stops the reading of rows too.
        if (out.destroyed) throw new Error(closedEarly)
        await new Promise<void>((resolve) => setImmediate(resolve))
        while (backlogBytes(worksheet) > maxBacklogBytes) {
          // Nothing drains the backlog once the reader has gone.
          if (out.destroyed) throw new Error(closedEarly)
          await new Promise<void>((resolve) => setTimeout(resolve, 2))
        }
        if (out.writableNeedDrain) await drained(out)
      }
    }
    worksheet.commit()
  }
  await workbook.commit()
  await finished
}

/** The whole workbook in memory, for small exports and for tests. */
export async function workbookBuffer(sheets: Sheet[]): Promise<Buffer> {
  const sink = new PassThrough()
  const chunks: Buffer[] = []
  sink.on('data', (chunk: Buffer) => chunks.push(chunk))
  await writeWorkbook(sink, sheets)
  return Buffer.concat(chunks)
}

/** Reads a workbook back (tests, and checking an export): every sheet's rows as cell values. */
export async function readWorkbook(data: Buffer): Promise<Map<string, unknown[][]>> {
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(data as unknown as ArrayBuffer)
  const result = new Map<string, unknown[][]>()
  workbook.eachSheet((worksheet) => {
    const rows: unknown[][] = []
    // columnCount walks every row: read it once, not once a row.
    const width = worksheet.columnCount
    worksheet.eachRow({ includeEmpty: true }, (row) => {
      const values = row.values as unknown[]
      rows.push(Array.from({ length: width }, (_, i) => values[i + 1] ?? null))
    })
    result.set(worksheet.name, rows)
  })
  return result
}
