import type { ReportDocument } from '../../server/reports/model'
import { writePdf } from '../../server/reports/renderPdf'
import { collector, parsePdf, textOf, walk, type ParsedPdf } from '../helpers/pdf'

/**
 * The renderer, read back with poppler: metadata, embedded fonts, the structure tree in reading
 * order, page furniture as artifacts, and tables that repeat their header and never split a row.
 */

const longRows = Array.from({ length: 60 }, (_, i) => [
  `Row ${i + 1} Mechanisms through which ICS functions are discharged to place and the accountability back to the ICS`,
  `${(i % 4) + 1}`,
  i % 2 ? 'Met' : 'Not met',
])

function report(overrides: Partial<ReportDocument> = {}): ReportDocument {
  return {
    title: 'Ynys Môn: place readiness report',
    subject: 'How ready the place is for delegation',
    author: 'Cheshire and Merseyside (demo)',
    keywords: ['readiness', 'delegation'],
    header: 'Ynys Môn – place readiness report',
    marking: 'OFFICIAL',
    generatedAt: new Date('2026-07-01T08:30:00Z'),
    draft: false,
    blocks: [
      { kind: 'heading', level: 1, text: 'Ynys Môn: place readiness report' },
      { kind: 'paragraph', style: 'lead', text: 'Thresholds of Maturing ≥ 3 and Developing ≤ 2, for Ysbyty Gwynedd and Caerdydd' },
      { kind: 'paragraph', style: 'callout', text: [{ text: 'Decision: ', bold: true }, { text: 'Level 2 – Partial delegation' }] },
      { kind: 'heading', level: 2, text: 'Summary' },
      { kind: 'list', items: ['First point', [{ text: 'Second: ', bold: true }, { text: 'point' }]] },
      {
        kind: 'figure',
        alt: 'Bar chart of domain levels: Governance is at 3 Maturing.',
        caption: 'Domain levels',
        chart: {
          type: 'bars',
          scale: { min: 0, max: 4, ticks: [{ value: 3, label: '3 Maturing' }] },
          threshold: { value: 3, label: 'Threshold' },
          bars: [{ label: 'Governance', value: 3, valueLabel: '3 Maturing' }],
        },
      },
      {
        kind: 'table',
        caption: 'Every criterion',
        columns: [
          { header: 'Criterion', weight: 4 },
          { header: 'Level', weight: 1 },
          { header: 'Met or not', weight: 1 },
        ],
        rowHeaders: true,
        rows: longRows,
      },
      { kind: 'heading', level: 2, text: 'After the table' },
      { kind: 'paragraph', text: 'The end.' },
    ],
    ...overrides,
  }
}

async function render(document: ReportDocument): Promise<{ pdf: Buffer; parsed: ParsedPdf }> {
  const out = collector()
  await writePdf(document, out.stream)
  const pdf = out.buffer()
  return { pdf, parsed: parsePdf(pdf) }
}

describe('renderPdf', () => {
  let pdf: Buffer
  let parsed: ParsedPdf

  beforeAll(async () => {
    ;({ pdf, parsed } = await render(report()))
  })

  it('is a tagged PDF 1.7 with its title shown, language, author and subject', () => {
    expect(parsed.info['PDF version']).toBe('1.7')
    expect(parsed.info.Tagged).toBe('yes')
    expect(parsed.info.Title).toBe('Ynys Môn: place readiness report')
    expect(parsed.info.Author).toBe('Cheshire and Merseyside (demo)')
    expect(parsed.info.Subject).toBe('How ready the place is for delegation')
    const raw = pdf.toString('latin1')
    expect(raw).toContain('/Lang (en-GB)')
    expect(raw).toMatch(/\/DisplayDocTitle true/)
  })

  it('embeds Source Sans 3 and uses no standard font', () => {
    expect(parsed.fonts.length).toBeGreaterThan(0)
    for (const font of parsed.fonts) {
      expect(font.name).toMatch(/\+SourceSans3-/)
      expect(font.embedded).toBe(true)
    }
  })

  it('keeps every character, including ≥, ≤ and Welsh names', () => {
    expect(parsed.text).toContain('Ynys Môn')
    expect(parsed.text).toContain('Maturing ≥ 3 and Developing ≤ 2')
  })

  it('has one Document element whose children are in reading order', () => {
    const [document] = parsed.structure.children
    expect(document!.type).toBe('Document')
    expect(document!.children.map((c) => c.type)).toEqual(['H1', 'P', 'P', 'H2', 'L', 'Figure', 'P', 'Table', 'H2', 'P'])
    expect(document!.children.map((c) => textOf(c).slice(0, 20))).toEqual([
      'Ynys Môn: place read',
      'Thresholds of Maturi',
      'Decision: Level 2 – ',
      'Summary',
      '• First point • Seco',
      expect.any(String),
      'Domain levels',
      expect.stringContaining('Every criterion'),
      'After the table',
      'The end.',
    ])
  })

  it('tags lists as L, LI, Lbl and LBody', () => {
    const list = walk(parsed.structure).find((n) => n.type === 'L')!
    expect(list.children.map((li) => li.type)).toEqual(['LI', 'LI'])
    expect(list.children[1]!.children.map((c) => c.type)).toEqual(['Lbl', 'LBody'])
    expect(textOf(list.children[1]!.children[1]!)).toBe('Second: point')
  })

  it('tags a chart as a Figure with alternative text', () => {
    const figure = walk(parsed.structure).find((n) => n.type === 'Figure')!
    expect(figure.attributes).toContain('/Placement /Block')
    expect(pdf.toString('latin1')).toContain('/Alt (Bar chart of domain levels: Governance is at 3 Maturing.)')
  })

  it('tags a table with its caption, one header row of column headers and a row header in each row', () => {
    const table = walk(parsed.structure).find((n) => n.type === 'Table')!
    expect(table.children.map((c) => c.type)).toEqual(['Caption', 'THead', 'TBody'])
    const [headerRow] = table.children[1]!.children
    expect(headerRow!.children.map((c) => [c.type, c.attributes.join(), textOf(c)])).toEqual([
      ['TH', '/Scope /Column', 'Criterion'],
      ['TH', '/Scope /Column', 'Level'],
      ['TH', '/Scope /Column', 'Met or not'],
    ])
    const rows = table.children[2]!.children
    expect(rows).toHaveLength(longRows.length)
    rows.forEach((row, i) => {
      expect(row.children.map((c) => c.type)).toEqual(['TH', 'TD', 'TD'])
      expect(row.children[0]!.attributes).toEqual(['/Scope /Row'])
      expect(textOf(row)).toBe(longRows[i]!.join(' '))
    })
  })

  it('repeats the table header on each new page, and never splits a row between pages', () => {
    const pagesWithRows = parsed.pages.filter((p) => /Row \d+ Mechanisms/.test(p))
    expect(pagesWithRows.length).toBeGreaterThan(1)
    for (const text of pagesWithRows) {
      expect(text).toMatch(/Criterion\s+Level\s+Met or not/)
    }
    for (const [i] of longRows.entries()) {
      const page = parsed.pages.findIndex((p) => p.includes(`Row ${i + 1} Mechanisms`))
      // The row's last words are on the page its first words are on.
      expect(parsed.pages[page]!.slice(parsed.pages[page]!.indexOf(`Row ${i + 1} Mechanisms`))).toMatch(/back to the ICS/)
    }
  })

  it('numbers every page, with the protective marking and the generation date in London time, as artifacts', () => {
    const count = Number(parsed.info.Pages)
    expect(count).toBeGreaterThan(2)
    parsed.pages.forEach((text, i) => {
      expect(text).toContain(`Page ${i + 1} of ${count}`)
      expect(text.match(/OFFICIAL/g)).toHaveLength(2)
      expect(text).toContain('Generated 1 July 2026 at 09:30 (UK time)')
      expect(text).not.toContain('DRAFT')
    })
    const tagged = textOf(parsed.structure)
    expect(tagged).not.toContain('Page 1 of')
    expect(tagged).not.toContain('OFFICIAL')
    expect(tagged).not.toContain('Generated')
  })

  it('marks a draft on every page with a watermark that is not content, and prints a configured marking', async () => {
    const { parsed: draft } = await render(report({ draft: true, marking: 'OFFICIAL-SENSITIVE' }))
    draft.pages.forEach((text, i) => {
      expect(text).toContain('DRAFT – not yet published')
      expect(text.match(/OFFICIAL-SENSITIVE/g)).toHaveLength(2)
      // The watermark: very large letters across the page (poppler splits the slanted word into pieces).
      const watermark = draft.words[i]!.filter((w) => w.height > 40).sort((a, b) => a.x - b.x)
      expect(watermark.map((w) => w.text).join('')).toBe('DRAFT')
    })
    expect(parsed.words.flat().filter((w) => w.height > 40)).toEqual([])
    expect(textOf(draft.structure)).not.toContain('DRAFT')
  })

  it('stops laying out, without an error, when the reader has gone (a cancelled download)', async () => {
    const out = collector()
    out.stream.destroy()
    await expect(writePdf(report(), out.stream)).resolves.toBeUndefined()
    expect(out.buffer()).toHaveLength(0)
  })
})
