import { parse } from 'csv-parse/sync'

/** One record of a CSV file, with the line it starts on (a quoted cell may span lines). */
export interface CsvRecord {
  line: number
  cells: string[]
}

export interface CsvReadResult {
  records: CsvRecord[]
  /** Lines holding bytes that are not UTF-8: their text was read with replacement characters. */
  notUtf8Lines: number[]
  /** A quote left open or a similar break, after which nothing more could be read. */
  syntaxProblem?: { line: number; message: string }
}

/**
 * The line numbers (from 1) of every line with a byte sequence that is not valid UTF-8,
 * found in one pass over the bytes (TextDecoder can say that a file is not UTF-8, not where).
 */
export function linesNotUtf8(bytes: Uint8Array): number[] {
  const lines: number[] = []
  let line = 1
  let i = 0
  const mark = () => {
    if (lines[lines.length - 1] !== line) lines.push(line)
  }
  while (i < bytes.length) {
    const b = bytes[i]!
    if (b === 0x0a) {
      line++
      i++
      continue
    }
    if (b < 0x80) {
      i++
      continue
    }
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0
    if (length === 0) {
      mark()
      i++
      continue
    }
    let ok = i + length <= bytes.length
    for (let k = 1; ok && k < length; k++) ok = (bytes[i + k]! & 0xc0) === 0x80
    if (ok && length === 3) {
      const second = bytes[i + 1]!
      ok = !(b === 0xe0 && second < 0xa0) && !(b === 0xed && second > 0x9f)
    }
    if (ok && length === 4) {
      const second = bytes[i + 1]!
      ok = !(b === 0xf0 && second < 0x90) && !(b === 0xf4 && second > 0x8f)
    }
    if (!ok) {
      mark()
      i++
      continue
    }
    i += length
  }
  return lines
}

/**
 * Reads CSV bytes into records, whatever their number of cells (the caller judges that, line by
 * line). A byte-order mark is dropped; lines that are not UTF-8 are reported and read leniently,
 * so that every other problem in the file can still be found.
 */
export function readCsv(bytes: Uint8Array): CsvReadResult {
  const notUtf8Lines = linesNotUtf8(bytes)
  const text = new TextDecoder('utf-8').decode(bytes)
  const records: CsvRecord[] = []
  let syntaxProblem: CsvReadResult['syntaxProblem']
  let previousEnd = 0
  try {
    parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: false,
      // Collected as they are read, so that a break later in the file keeps the records before it.
      on_record: (record, context) => {
        records.push({ line: previousEnd + 1, cells: record })
        previousEnd = context.lines
        return null
      },
    })
  } catch (error) {
    const e = error as { code?: string; message: string }
    syntaxProblem = {
      line: previousEnd + 1,
      message:
        e.code === 'CSV_QUOTE_NOT_CLOSED'
          ? 'has a quotation mark that is never closed, so the rest of the file cannot be read'
          : `cannot be read as CSV, so the rest of the file cannot be read (${e.message.split(':')[0]})`,
    }
  }
  return { records, notUtf8Lines, ...(syntaxProblem ? { syntaxProblem } : {}) }
}
