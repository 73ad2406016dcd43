import fs from 'node:fs'
import path from 'node:path'
import { PassThrough, Writable } from 'node:stream'
import { parse } from 'csv-parse/sync'
import { csvCell, toCsv, writeCsv } from '../../server/exports/csv'
import { readWorkbook, sheet, sheetName, workbookBuffer, writeWorkbook } from '../../server/exports/excel'
import { writeJsonDocument } from '../../server/exports/json'
import { arrayTable, neutralise, type Table } from '../../server/exports/table'

interface Answer {
  code: string
  level: number | null
  evidence: string
  changedAt: Date
  due: string
  submitted: boolean
}

const answers: Table<Answer> = {
  name: 'Answers',
  columns: [
    { header: 'Code', value: (a) => a.code },
    { header: 'Level', kind: 'number', value: (a) => a.level },
    { header: 'Evidence', value: (a) => a.evidence, width: 50 },
    { header: 'Changed (UK time)', kind: 'datetime', value: (a) => a.changedAt },
    { header: 'Due', kind: 'date', value: (a) => a.due },
    { header: 'Submitted', value: (a) => a.submitted },
  ],
}

const dangerous = ['=HYPERLINK("http://evil.example","click")', '+1+2', '-2+3', '@SUM(A1:A2)', '\tTAB', '\rCR']

const rows: Answer[] = [
  // 29 October 2021 16:00 UTC is 17:00 in London (summer time)
  {
    code: 'AV1',
    level: 3,
    evidence: 'Plain, with "quotes", commas\nand a new line – and an en dash',
    changedAt: new Date('2021-10-29T16:00:00Z'),
    due: '2022-03-31',
    submitted: true,
  },
  { code: 'AV2', level: null, evidence: '', changedAt: new Date('2022-01-10T09:30:00Z'), due: '2022-01-31', submitted: false },
  ...dangerous.map((evidence, i) => ({
    code: `GV${i + 1}`,
    level: -(i + 1),
    evidence,
    changedAt: new Date('2022-07-01T12:00:00Z'),
    due: '2022-12-01',
    submitted: false,
  })),
]

function collect(): { sink: Writable; text: () => Buffer } {
  const chunks: Buffer[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk)
      done()
    },
  })
  return { sink, text: () => Buffer.concat(chunks) }
}

describe('neutralise', () => {
  it('prefixes an apostrophe to text a spreadsheet would run, and leaves other text alone', () => {
    for (const text of dangerous) expect(neutralise(text)).toBe(`'${text}`)
    for (const text of ['plain', '1+1', "'already", ' =spaced', '']) expect(neutralise(text)).toBe(text)
  })

  it('leaves numbers as numbers, negative ones included', () => {
    expect(csvCell(-3)).toBe(-3)
    expect(csvCell(Number.NaN)).toBe('')
  })
})

describe('CSV writer', () => {
  const expected = [
    ['Code', 'Level', 'Evidence', 'Changed (UK time)', 'Due', 'Submitted'],
    ['AV1', '3', rows[0]!.evidence, '2021-10-29 17:00:00', '2022-03-31', 'Yes'],
    ['AV2', '', '', '2022-01-10 09:30:00', '2022-01-31', 'No'],
    ...dangerous.map((evidence, i) => [`GV${i + 1}`, String(-(i + 1)), `'${evidence}`, '2022-07-01 13:00:00', '2022-12-01', 'No']),
  ]

  it('writes a BOM, then rows that parse back to the values, formulas as text', () => {
    const csv = toCsv(answers, rows)
    expect(csv.startsWith('\uFEFF')).toBe(true)
    expect(parse(csv, { bom: true })).toEqual(expected)
  })

  it('streams the same bytes as it writes at once, from an async source', async () => {
    const { sink, text } = collect()
    async function* source() {
      for (const row of rows) yield row
    }
    await writeCsv(sink, answers, source())
    expect(text().toString('utf8')).toBe(toCsv(answers, rows))
    expect(text().subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
  })

  it('pulls rows only as fast as the reader takes them', async () => {
    let produced = 0
    const total = 5000
    function* source() {
      for (let i = 0; i < total; i++) {
        produced++
        yield [i, 'x'.repeat(200)]
      }
    }
    const slow = new PassThrough({ highWaterMark: 1024 })
    const writing = writeCsv(slow, arrayTable('Rows', ['n', 'text']), source())
    await new Promise((resolve) => setTimeout(resolve, 50))
    // Nothing has read the stream yet: the writer must have stopped long before the end.
    expect(produced).toBeLessThan(total / 10)
    let lines = 0
    slow.on('data', (chunk: Buffer) => (lines += chunk.toString().split('\n').length - 1))
    await writing
    expect(produced).toBe(total)
    expect(lines).toBe(total + 1)
  })

  it('takes plain arrays of cells through arrayTable', () => {
    const csv = toCsv(arrayTable('T', ['a', 'b']), [['=1', 2]])
    expect(parse(csv, { bom: true, cast: true })).toEqual([
      ['a', 'b'],
      ["'=1", 2],
    ])
  })
})

describe('Excel writer', () => {
  it('writes a sheet per table that reads back: frozen bold header, widths, numbers, dates as dates, formulas as text', async () => {
    const data = await workbookBuffer([sheet(answers, rows), sheet(arrayTable('Second: [table]', ['n']), [[1], [2]])])
    const sheets = await readWorkbook(data)
    expect([...sheets.keys()]).toEqual(['Answers', 'Second table'])
    const read = sheets.get('Answers')!
    expect(read[0]).toEqual(answers.columns.map((c) => c.header))
    expect(read[1]).toEqual(['AV1', 3, rows[0]!.evidence, new Date('2021-10-29T17:00:00Z'), new Date('2022-03-31T00:00:00Z'), 'Yes'])
    expect(read[2]).toEqual(['AV2', null, null, new Date('2022-01-10T09:30:00Z'), new Date('2022-01-31T00:00:00Z'), 'No'])
    dangerous.forEach((evidence, i) => {
      // XML reads a carriage return back as a line feed; the apostrophe is what matters.
      expect(read[3 + i]![2]).toBe(`'${evidence}`.replace(/\r/g, '\n'))
      expect(read[3 + i]![1]).toBe(-(i + 1))
    })
    expect(sheets.get('Second table')).toEqual([['n'], [1], [2]])

    const ExcelJS = (await import('exceljs')).default
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.load(data as unknown as ArrayBuffer)
    const worksheet = workbook.getWorksheet('Answers')!
    expect(worksheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 })
    expect(worksheet.getRow(1).font?.bold).toBe(true)
    expect(worksheet.getColumn(3).width).toBe(50)
    expect(worksheet.getColumn(1).width).toBeGreaterThan(0)
    expect(worksheet.getCell('D2').numFmt).toBe('dd/mm/yyyy hh:mm')
    expect(worksheet.getCell('E2').numFmt).toBe('dd/mm/yyyy')
    // A formula cell would have a formula; these are strings.
    expect(worksheet.getCell('C4').type).toBe(ExcelJS.ValueType.String)
  })

  it('streams a large sheet through a slow reader without reading every row ahead', async () => {
    let produced = 0
    const total = 20000
    function* source() {
      for (let i = 0; i < total; i++) {
        produced++
        yield [i, `row ${i}`]
      }
    }
    const slow = new PassThrough({ highWaterMark: 16 * 1024 })
    const writing = writeWorkbook(slow, [sheet(arrayTable('Rows', ['n', 'text']), source())])
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(produced).toBeLessThan(total)
    const chunks: Buffer[] = []
    slow.on('data', (chunk: Buffer) => chunks.push(chunk))
    await writing
    const read = (await readWorkbook(Buffer.concat(chunks))).get('Rows')!
    expect(read).toHaveLength(total + 1)
    expect(read[total]).toEqual([total - 1, `row ${total - 1}`])
  })

  it('neutralises headers as CSV does: they can be typed data (a place or domain name)', async () => {
    const table = arrayTable('Typed headers', ['Place', '=HYPERLINK("http://evil.example","x")', '@SUM(A1)'])
    const read = (await readWorkbook(await workbookBuffer([sheet(table, [['Wirral', 1, 2]])]))).get('Typed headers')!
    expect(read[0]).toEqual(['Place', `'=HYPERLINK("http://evil.example","x")`, `'@SUM(A1)`])
    expect(parse(toCsv(table, []), { bom: true })[0]).toEqual(read[0])
  })

  it('names sheets as Excel allows', () => {
    expect(sheetName('A very long name that goes on and on and on')).toHaveLength(31)
    expect(sheetName('a/b?c')).toBe('a b c')
  })
})

describe('a reader that goes away while the writer waits for room', () => {
  // A cancelled download emits 'close', never 'drain': waiting for 'drain' alone waited forever.
  async function* many() {
    for (let i = 0; i < 100_000; i++) yield [i, `row ${i} ${'x'.repeat(100)}`]
  }
  const leaveWhileFull = async (write: (out: PassThrough) => Promise<void>) => {
    const out = new PassThrough({ highWaterMark: 1024 })
    const writing = write(out)
    // Nobody reads: the writer soon waits for room. Then the reader goes.
    await new Promise((resolve) => setTimeout(resolve, 100))
    out.destroy()
    // Stopped with an error (ours, or the stream's own premature close) rather than waiting forever.
    await expect(writing).rejects.toThrow(/closed before it finished|Premature close/)
  }

  it('stops the CSV, the workbook and the JSON document with an error', async () => {
    await leaveWhileFull((out) => writeCsv(out, arrayTable('Rows', ['n', 'text']), many()))
    await leaveWhileFull((out) => writeWorkbook(out, [sheet(arrayTable('Rows', ['n', 'text']), many())]))
    await leaveWhileFull((out) =>
      writeJsonDocument(out, {
        head: { round: 1 },
        itemsKey: 'rows',
        items: (async function* () {
          for await (const row of many()) yield row
        })(),
      }),
    )
  })
})

describe('one writer per format', () => {
  /** Every .ts file of the app and its scripts that imports a package, relative to the repository. */
  function importersOf(pattern: RegExp): string[] {
    const root = path.join(__dirname, '../..')
    const walk = (directory: string): string[] =>
      fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(directory, entry.name)
        if (entry.isDirectory()) return walk(full)
        return entry.name.endsWith('.ts') ? [full] : []
      })
    return ['server', 'scripts']
      .flatMap((folder) => walk(path.join(root, folder)))
      .filter((file) => pattern.test(fs.readFileSync(file, 'utf8')))
      .map((file) => path.relative(root, file).split(path.sep).join('/'))
  }

  // Every CSV and spreadsheet cell is neutralised because nothing else can write one.
  it('only server/exports/csv.ts imports csv-stringify, and only server/exports/excel.ts imports exceljs', () => {
    expect(importersOf(/from ['"]csv-stringify|require\(['"]csv-stringify|import\(['"]csv-stringify/)).toEqual(['server/exports/csv.ts'])
    expect(importersOf(/from ['"]exceljs|require\(['"]exceljs|import\(['"]exceljs/)).toEqual(['server/exports/excel.ts'])
  })
})
