import { parse } from 'csv-parse/sync'
import { FrameworkData } from '../../server/data/frameworks'
import { timestamp } from '../../server/db/values'
import { readWorkbook } from '../../server/exports/excel'
import { defaultFrameworkSlug } from '../../server/services/frameworkService'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { signIn, type Agent } from '../helpers/session'
import { addUser } from '../helpers/users'

/**
 * The dashboard against a small ICS seeded here, whose every figure is worked out by hand below
 * from what is seeded (the default framework: 16 criteria, threshold Maturing (3) with evidence,
 * gateways DD1 DD2 GV1 GV3 with minimum Developing (2), partial delegation from 8 of 16 met).
 *
 * Current round (closes 4 December 2026 at 17:00; the test clock says 22 November 2026):
 * - Alderley: 2 partners, both submitted (level 3 everywhere). Its return is submitted with every
 *   position agreed at 3 with evidence, and the ICS lead moderated GV5 down to 2. So 15 of 16 met,
 *   no gateway below 2: Level 2 – Partial delegation; decided at Level 2.
 * - Brookfield: 3 partners: one submitted 1 everywhere, one 4 everywhere (both with evidence), one
 *   not started. No return, so every criterion is the partners' median rounded down: floor((1+4)/2)
 *   = 2, partners disagree (3 levels apart), nothing met: Level 1 – ICB-led.
 * - Carrow: 1 partner in progress (nothing submitted). A draft return agrees DD1 at 1 without
 *   evidence: DD1 is 1, agreed by the place, a gateway below Developing; the other gateways (DD2,
 *   GV1, GV3) have no level, which is below the minimum too. Level 1.
 * ICS medians (rounded down): most criteria [3, 2] -> 2; DD1 [3, 2, 1] -> 2; GV5 [2, 2] -> 2.
 * Domain levels (median of the criteria): Alderley 3, 3, 3, 3 (GV: 2,3,3,3,3 -> 3); Brookfield 2
 * everywhere; Carrow DD 1, the rest none. Domain medians: AV [3,2] -> 2, LC 2, DD [3,2,1] -> 2, GV 2.
 *
 * Earlier round (closed October 2026): Alderley's submitted return agreed everything at 1 with
 * evidence (gateways below 2: Level 1), decided at Level 1; Brookfield and Carrow have nothing:
 * Level 1. Domain medians: 1 everywhere (only Alderley has levels).
 */

const criteriaCodes = ['AV1', 'AV2', 'AV3', 'LC1', 'LC2', 'LC3', 'LC4', 'DD1', 'DD2', 'DD3', 'DD4', 'GV1', 'GV2', 'GV3', 'GV4', 'GV5']

interface Seeded {
  icsId: number
  currentId: number
  earlierId: number
  places: Record<'alderley' | 'brookfield' | 'carrow', number>
}

async function seed(context: TestContext): Promise<Seeded> {
  const db = context.db
  const frameworks = new FrameworkData(db)
  const versionId = (await frameworks.latestVersionId(defaultFrameworkSlug))!
  const criteria = await frameworks.criteria(versionId)
  expect(criteria.map((c) => c.code)).toEqual(criteriaCodes)
  const criterion = (code: string) => criteria.find((c) => c.code === code)!.id
  const at = timestamp(new Date('2026-11-01T10:00:00Z'))
  const insert = async (table: string, row: Record<string, unknown>) =>
    ((await db(table).insert(row, ['id'])) as Array<{ id: number }>)[0]!.id

  const icsId = await insert('ics', { name: 'Test ICS', slug: 'test-ics', created_at: at })
  const places = {
    alderley: await insert('places', { ics_id: icsId, name: 'Alderley', slug: 'alderley', created_at: at }),
    brookfield: await insert('places', { ics_id: icsId, name: 'Brookfield', slug: 'brookfield', created_at: at }),
    carrow: await insert('places', { ics_id: icsId, name: 'Carrow', slug: 'carrow', created_at: at }),
  }
  const organisation = (placeId: number, name: string) =>
    insert('organisations', { place_id: placeId, name, kind: 'council', created_at: at })
  const round = async (title: string, opens: string, closes: string) => {
    const id = await insert('rounds', {
      ics_id: icsId,
      framework_version_id: versionId,
      title,
      opens_at: timestamp(new Date(opens)),
      closes_at: timestamp(new Date(closes)),
      created_at: at,
    })
    await db('round_places').insert(Object.values(places).map((placeId) => ({ round_id: id, place_id: placeId })))
    return id
  }
  const earlierId = await round('Earlier round', '2026-10-01T09:00:00Z', '2026-10-30T17:00:00Z')
  const currentId = await round('Current round', '2026-11-10T09:00:00Z', '2026-12-04T17:00:00Z')

  const respond = async (roundId: number, organisationId: number, status: 'submitted' | 'in_progress', level: number | null) => {
    const responseId = await insert('responses', {
      round_id: roundId,
      organisation_id: organisationId,
      status,
      version: 1,
      submitted_at: status === 'submitted' ? at : null,
      reference: status === 'submitted' ? `R-${organisationId}` : null,
      created_at: at,
      updated_at: at,
    })
    if (level !== null) {
      await db('answers').insert(
        criteria.map((c) => ({
          response_id: responseId,
          criterion_id: c.id,
          level,
          not_sure: false,
          evidence: 'Our evidence.',
          updated_at: at,
        })),
      )
    }
  }
  const placeReturn = async (
    roundId: number,
    placeId: number,
    status: 'draft' | 'submitted',
    positions: Record<string, [number, string | null]>,
  ) => {
    const returnId = await insert('place_returns', {
      round_id: roundId,
      place_id: placeId,
      status,
      submitted_at: status === 'submitted' ? at : null,
      created_at: at,
      updated_at: at,
    })
    await db('place_positions').insert(
      Object.entries(positions).map(([code, [level, evidence]]) => ({
        place_return_id: returnId,
        criterion_id: criterion(code),
        level,
        not_sure: false,
        rationale: 'Agreed.',
        evidence_summary: evidence,
        updated_at: at,
      })),
    )
    return returnId
  }
  const decide = (roundId: number, placeId: number, recommended: number, decided: number) =>
    db('delegation_decisions').insert({
      round_id: roundId,
      place_id: placeId,
      recommended_level: recommended,
      decided_level: decided,
      rationale: 'Decided.',
      decided_on: '2026-11-20',
      deciding_body: 'ICB Board',
      recommendation_snapshot: '[]',
      recorded_at: at,
    })
  const everything = (level: number, evidence: string | null) =>
    Object.fromEntries(criteriaCodes.map((code) => [code, [level, evidence]])) as Record<string, [number, string | null]>

  // Current round.
  const [a1, a2] = [await organisation(places.alderley, 'Alderley Council'), await organisation(places.alderley, 'Alderley Trust')]
  const [b1, b2] = [await organisation(places.brookfield, 'Brookfield Council'), await organisation(places.brookfield, 'Brookfield Trust')]
  await organisation(places.brookfield, 'Brookfield Healthwatch')
  const c1 = await organisation(places.carrow, 'Carrow Council')
  await respond(currentId, a1, 'submitted', 3)
  await respond(currentId, a2, 'submitted', 3)
  await respond(currentId, b1, 'submitted', 1)
  await respond(currentId, b2, 'submitted', 4)
  await respond(currentId, c1, 'in_progress', 2)
  const alderleyReturn = await placeReturn(currentId, places.alderley, 'submitted', everything(3, 'Evidence.'))
  await db('moderations').insert({
    place_return_id: alderleyReturn,
    criterion_id: criterion('GV5'),
    level: 2,
    comment: 'Not yet.',
    moderated_at: at,
  })
  await decide(currentId, places.alderley, 2, 2)
  await placeReturn(currentId, places.carrow, 'draft', { DD1: [1, null] })

  // Earlier round.
  await placeReturn(earlierId, places.alderley, 'submitted', everything(1, 'Evidence.'))
  await decide(earlierId, places.alderley, 1, 1)

  await addUser(context, 'lead@test.example', { role: 'ics_lead', ics_id: icsId }, 'Test Lead')
  await addUser(context, 'viewer@test.example', { role: 'viewer', ics_id: icsId }, 'Test Viewer')
  await addUser(context, 'brookfield.lead@test.example', { role: 'place_lead', ics_id: icsId, place_id: places.brookfield }, 'Brook Lead')
  await addUser(context, 'carrow.viewer@test.example', { role: 'viewer', ics_id: icsId, place_id: places.carrow }, 'Carrow Viewer')
  await addUser(
    context,
    'alderley.partner@test.example',
    { role: 'partner', ics_id: icsId, place_id: places.alderley, organisation_id: a1 },
    'Al Partner',
  )
  await addUser(
    context,
    'carrow.partner@test.example',
    { role: 'partner', ics_id: icsId, place_id: places.carrow, organisation_id: c1 },
    'Car Partner',
  )
  return { icsId, currentId, earlierId, places }
}

/** The heatmap's cells by row: place id (or "median") -> criterion code -> { level, marks }. */
function heatmapOf(html: string): Map<string, Map<string, { level: number | null; marks: string }>> {
  const table = /<table class="placeready-heatmap"[\s\S]*?<\/table>/.exec(html)![0]
  const rows = new Map<string, Map<string, { level: number | null; marks: string }>>()
  for (const row of table.matchAll(/<tr data-place="([^"]+)">([\s\S]*?)<\/tr>/g)) {
    const cells = new Map<string, { level: number | null; marks: string }>()
    // A place's cell links to its criterion and shows the level and the marks under it.
    for (const cell of row[2]!.matchAll(
      /\/criteria\/([^"]+)"><b aria-hidden="true">([^<]*)<\/b><small aria-hidden="true">([^<]*)<\/small>/g,
    )) {
      cells.set(cell[1]!, { level: cell[2] === '–' ? null : Number(cell[2]), marks: cell[3]!.trim() })
    }
    // The median's cells link nowhere: their criterion and level are in data attributes.
    for (const cell of row[2]!.matchAll(/data-code="([^"]+)" data-level="(\d*)"/g)) {
      cells.set(cell[1]!, { level: cell[2] === '' ? null : Number(cell[2]), marks: '' })
    }
    rows.set(row[1]!, cells)
  }
  return rows
}

interface ChartData {
  id: string
  labels: string[]
  datasets: Array<{ label: string; data: Array<number | null> }>
}

function chartsOf(html: string): ChartData[] {
  const json = /<script type="application\/json" id="dashboard-chart-data">([\s\S]*?)<\/script>/.exec(html)![1]!
  return JSON.parse(json) as ChartData[]
}

/** A data table of the page as header row and body rows of text ('' for an empty figure). */
function tableOf(html: string, id: string): { headers: string[]; rows: string[][] } {
  const table = new RegExp(`<table class="nhsuk-table" id="${id}">([\\s\\S]*?)</table>`).exec(html)![1]!
  const text = (s: string) =>
    s
      .replace(/<[^>]+>/g, '')
      .replace(/&amp;/g, '&')
      .replace(/&#39;/g, "'")
      .trim()
  const headers = [...table.matchAll(/<th class="nhsuk-table__header[^"]*" scope="col">([\s\S]*?)<\/th>/g)].map((m) => text(m[1]!))
  const rows = [
    ...table.matchAll(/<tr class="nhsuk-table__row">\s*<th class="nhsuk-table__cell" scope="row">([\s\S]*?)<\/th>([\s\S]*?)<\/tr>/g),
  ].map((m) => [text(m[1]!), ...[...m[2]!.matchAll(/data-value="([^"]*)"/g)].map((v) => v[1]!)])
  return { headers, rows }
}

function textOf(html: string, id: string): string {
  const match = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</(dd|table)>`).exec(html)
  return match![1]!
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

describe('the dashboard', () => {
  let context: TestContext
  let s: Seeded
  let lead: Agent

  beforeAll(async () => {
    context = await createTestContext({ now: new Date('2026-11-22T10:00:00Z') })
    s = await seed(context)
    lead = await signIn(context.app, 'lead@test.example', testDemoPassword)
  })
  afterAll(() => context.close())

  const dashboard = () => `/rounds/${s.currentId}/dashboard`

  it('summarises the round: readiness recommended and decided, returns, partners and days left', async () => {
    const page = await lead.get(dashboard())
    expect(page.status).toBe(200)
    expect(page.text).toMatch(/href="\/dashboard" aria-current="page">Dashboard</)
    expect(page.text).not.toMatch(/href="\/rounds" aria-current="page"/)
    expect(textOf(page.text, 'summary-returns')).toBe('1 of 3')
    expect(textOf(page.text, 'summary-partners')).toBe('4 of 6 partner organisations (1 more in progress)')
    expect(textOf(page.text, 'summary-deadline')).toBe('4 December 2026 at 17:00 12 days left')
    const readiness = /<table class="nhsuk-table-responsive" id="summary-readiness">[\s\S]*?<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(
      page.text,
    )![1]!
    const rows = [...readiness.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
      [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) =>
        cell[1]!.replace(/<span class="nhsuk-table-responsive__heading"[^>]*>[^<]*<\/span>/, '').trim(),
      ),
    )
    expect(rows).toEqual([
      ['Level 3 – Full delegation', '0', '0'],
      ['Level 2 – Partial delegation', '1', '1'],
      ['Level 1 – ICB-led', '2', '0'],
      ['No decision yet', '–', '2'],
    ])
  })

  it('shows every criterion of every place with its level, source, threshold, disagreement and gateway marks', async () => {
    const heat = heatmapOf((await lead.get(dashboard())).text)
    expect([...heat.keys()]).toEqual([String(s.places.alderley), String(s.places.brookfield), String(s.places.carrow), 'median'])
    const alderley = heat.get(String(s.places.alderley))!
    for (const code of criteriaCodes.filter((c) => c !== 'GV5')) expect(alderley.get(code)).toEqual({ level: 3, marks: 'A ✓' })
    expect(alderley.get('GV5')).toEqual({ level: 2, marks: 'M' })
    for (const code of criteriaCodes) expect(heat.get(String(s.places.brookfield))!.get(code)).toEqual({ level: 2, marks: 'P !' })
    const carrow = heat.get(String(s.places.carrow))!
    expect(carrow.get('DD1')).toEqual({ level: 1, marks: 'A G' })
    // The other gateways have no level at all, which is below the minimum too.
    for (const code of ['DD2', 'GV1', 'GV3']) expect(carrow.get(code)).toEqual({ level: null, marks: 'G' })
    for (const code of criteriaCodes.filter((c) => !['DD1', 'DD2', 'GV1', 'GV3'].includes(c)))
      expect(carrow.get(code)).toEqual({ level: null, marks: '' })
    for (const code of criteriaCodes) expect(heat.get('median')!.get(code)).toEqual({ level: 2, marks: '' })
  })

  it('links each place and each cell to that place’s page for the round', async () => {
    const html = (await lead.get(dashboard())).text
    expect(html).toContain(`<a href="/rounds/${s.currentId}/places/${s.places.carrow}">Carrow</a>`)
    expect(html).toContain(`href="/rounds/${s.currentId}/places/${s.places.carrow}/criteria/DD1"`)
    const drill = await lead.get(`/rounds/${s.currentId}/places/${s.places.carrow}/criteria/DD1`)
    expect(drill.status).toBe(200)
  })

  it('draws the charts from JSON with the hand-worked figures, and each table holds the same figures', async () => {
    const html = (await lead.get(dashboard())).text
    const charts = chartsOf(html)
    expect(charts.map((c) => c.id)).toEqual(['domain-levels', 'place-against-median', 'completion', 'readiness-trend', 'domain-trend'])
    const byId = new Map(charts.map((c) => [c.id, c]))
    const series = (id: string) => Object.fromEntries(byId.get(id)!.datasets.map((d) => [d.label, d.data]))

    expect(byId.get('domain-levels')!.labels).toEqual(['Alderley', 'Brookfield', 'Carrow', 'ICS median (3 places)'])
    expect(series('domain-levels')).toEqual({
      'Ambition & vision': [3, 2, null, 2],
      'Leadership & culture': [3, 2, null, 2],
      'Design & delivery': [3, 2, 1, 2],
      Governance: [3, 2, null, 2],
    })
    expect(byId.get('place-against-median')!.labels).toEqual(criteriaCodes)
    expect(series('place-against-median')).toEqual({
      Alderley: criteriaCodes.map((c) => (c === 'GV5' ? 2 : 3)),
      'ICS median': criteriaCodes.map(() => 2),
    })
    expect(series('completion')).toEqual({ Submitted: [2, 2, 0], 'In progress': [0, 0, 1], 'Not started': [0, 1, 0] })
    expect(byId.get('readiness-trend')!.labels).toEqual(['October 2026', 'December 2026'])
    expect(series('readiness-trend')).toEqual({
      'Level 1 – ICB-led': [3, 2],
      'Level 2 – Partial delegation': [0, 1],
      'Level 3 – Full delegation': [0, 0],
    })
    expect(series('domain-trend')).toEqual({
      'Ambition & vision': [1, 2],
      'Leadership & culture': [1, 2],
      'Design & delivery': [1, 2],
      Governance: [1, 2],
    })

    for (const chart of charts) {
      const table = tableOf(html, `table-${chart.id}`)
      expect(table.headers.slice(1)).toEqual(chart.datasets.map((d) => d.label))
      expect(table.rows).toEqual(
        chart.labels.map((label, i) => [label, ...chart.datasets.map((d) => (d.data[i] === null ? '' : String(d.data[i])))]),
      )
    }
  })

  it('escapes < in the chart JSON so no text can end its script block', async () => {
    await context.db('places').where({ id: s.places.carrow }).update({ name: 'Carrow</script><b>' })
    try {
      const html = (await lead.get(dashboard())).text
      const block = /<script type="application\/json" id="dashboard-chart-data">([\s\S]*?)<\/script>/.exec(html)![1]!
      expect(block).not.toContain('<')
      expect(block).toContain('Carrow\\u003c/script>\\u003cb>')
      expect(chartsOf(html)[0]!.labels).toContain('Carrow</script><b>')
    } finally {
      await context.db('places').where({ id: s.places.carrow }).update({ name: 'Carrow' })
    }
  })

  it('filters by domain, readiness and place, and sorts by readiness or a domain with links', async () => {
    const domain = heatmapOf((await lead.get(`${dashboard()}?domain=DD`)).text)
    expect([...domain.get(String(s.places.alderley))!.keys()]).toEqual(['DD1', 'DD2', 'DD3', 'DD4'])

    const level1 = await lead.get(`${dashboard()}?readiness=1`)
    expect([...heatmapOf(level1.text).keys()]).toEqual([String(s.places.brookfield), String(s.places.carrow), 'median'])
    // The median stays the whole ICS's.
    expect(heatmapOf(level1.text).get('median')!.get('AV1')).toEqual({ level: 2, marks: '' })

    const chosen = await lead.get(`${dashboard()}?place=${s.places.carrow}&place=${s.places.alderley}`)
    expect([...heatmapOf(chosen.text).keys()]).toEqual([String(s.places.alderley), String(s.places.carrow), 'median'])

    const sorted = await lead.get(`${dashboard()}?sort=readiness`)
    expect([...heatmapOf(sorted.text).keys()]).toEqual([
      String(s.places.brookfield),
      String(s.places.carrow),
      String(s.places.alderley),
      'median',
    ])
    const byDomain = await lead.get(`${dashboard()}?sort=domain:DD`)
    expect([...heatmapOf(byDomain.text).keys()]).toEqual([
      String(s.places.carrow),
      String(s.places.brookfield),
      String(s.places.alderley),
      'median',
    ])
    // Sort links keep the filters.
    expect(level1.text).toContain(`href="/rounds/${s.currentId}/dashboard?readiness=1&amp;sort=readiness"`)

    const none = await lead.get(`${dashboard()}?readiness=3`)
    expect(none.text).toContain('No places match the filters')
    expect(chartsOf(none.text)).toEqual([])
    // Unknown values are ignored, not refused.
    expect((await lead.get(`${dashboard()}?domain=XX&place=999999&readiness=7&sort=nonsense`)).status).toBe(200)
  })

  it('downloads exactly what the page shows, as CSV and as a workbook, with the same filters', async () => {
    const query = `?place=${s.places.carrow}&place=${s.places.brookfield}&domain=DD`
    const html = (await lead.get(`${dashboard()}${query}`)).text
    const heat = heatmapOf(html)

    const csv = await lead.get(`/rounds/${s.currentId}/dashboard.csv${query}`)
    expect(csv.status).toBe(200)
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    const records = parse(csv.text, { bom: true, columns: true }) as Array<Record<string, string>>
    const placeIds: Record<string, string> = {
      Brookfield: String(s.places.brookfield),
      Carrow: String(s.places.carrow),
      'ICS median': 'median',
    }
    expect(records).toHaveLength(3 * 4)
    for (const record of records) {
      const cell = heat.get(placeIds[record.Place!]!)!.get(record['Criterion code']!)!
      expect(record.Level === '' ? null : Number(record.Level)).toBe(cell.level)
    }
    expect(records.find((r) => r.Place === 'Carrow' && r['Criterion code'] === 'DD1')).toMatchObject({
      'Where the level came from': 'agreed by the place',
      'Threshold met': 'No',
      'Gateway below Developing': 'Yes',
      'Recommended readiness': 'Level 1 – ICB-led',
    })

    const xlsx = await lead
      .get(`/rounds/${s.currentId}/dashboard.xlsx${query}`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => done(null, Buffer.concat(chunks)))
      })
    expect(xlsx.status).toBe(200)
    const sheets = await readWorkbook(xlsx.body as Buffer)
    expect([...sheets.keys()]).toEqual([
      'Summary',
      'Heatmap',
      'Domain levels',
      'Place against median',
      'Completion',
      'Readiness trend',
      'Domain trend',
    ])
    const asText = (rows: unknown[][]) => rows.map((r) => r.map((v) => (v === null ? '' : String(v))))
    const csvRows = parse(csv.text, { bom: true }) as string[][]
    expect(asText(sheets.get('Heatmap')!)).toEqual(csvRows)
    // The summary: the whole round, as the page's summary shows it (hand-worked in the first test).
    expect(sheets.get('Summary')).toEqual([
      ['Measure', 'Value'],
      ['Places recommended for Level 3 – Full delegation', 0],
      ['Places recommended for Level 2 – Partial delegation', 1],
      ['Places recommended for Level 1 – ICB-led', 2],
      ['Places decided at Level 3 – Full delegation', 0],
      ['Places decided at Level 2 – Partial delegation', 1],
      ['Places decided at Level 1 – ICB-led', 0],
      ['Places with no decision yet', 2],
      ['Place returns received', 1],
      ['Place returns expected', 3],
      ['Partner organisations submitted', 4],
      ['Partner organisations in progress', 1],
      ['Partner organisations invited', 6],
      ['Days to the deadline', 12],
    ])
    const chartSheets = [...sheets.values()].slice(2)
    chartsOf(html).forEach((chart, i) => {
      const table = tableOf(html, `table-${chart.id}`)
      expect(asText(chartSheets[i]!)).toEqual([table.headers, ...table.rows])
    })
  })

  it('shows a place lead their own place only, against the ICS median, on the page and in both downloads', async () => {
    const placeLead = await signIn(context.app, 'brookfield.lead@test.example', testDemoPassword)
    const page = await placeLead.get(dashboard())
    expect(page.status).toBe(200)
    const heat = heatmapOf(page.text)
    expect([...heat.keys()]).toEqual([String(s.places.brookfield), 'median'])
    expect(heat.get('median')!.get('GV5')).toEqual({ level: 2, marks: '' })
    expect(textOf(page.text, 'summary-recommended')).toBe('Level 1 – ICB-led')
    expect(textOf(page.text, 'summary-partners')).toBe('2 of 3 partner organisations')
    const charts = chartsOf(page.text)
    expect(charts.find((c) => c.id === 'domain-levels')!.labels).toEqual(['Brookfield', 'ICS median'])
    expect(charts.find((c) => c.id === 'readiness-trend')!.datasets.map((d) => d.data)).toEqual([
      [1, 1],
      [null, null],
    ])

    const csv = await placeLead.get(`/rounds/${s.currentId}/dashboard.csv`)
    const xlsx = await placeLead
      .get(`/rounds/${s.currentId}/dashboard.xlsx`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => done(null, Buffer.concat(chunks)))
      })
    const workbookText = JSON.stringify([...(await readWorkbook(xlsx.body as Buffer)).values()])
    for (const other of ['Alderley', 'Carrow']) {
      expect(page.text).not.toContain(other)
      expect(csv.text).not.toContain(other)
      expect(workbookText).not.toContain(other)
    }
    // No count of places anywhere: "3 places" would tell them how many others there are.
    expect(page.text).not.toMatch(/\b3 places\b/)
    expect(workbookText).not.toMatch(/Places recommended/)
    // Another place, or a filter naming one, shows nothing more.
    const filtered = await placeLead.get(`${dashboard()}?place=${s.places.alderley}&compare=${s.places.alderley}`)
    expect([...heatmapOf(filtered.text).keys()]).toEqual([String(s.places.brookfield), 'median'])
    expect(filtered.text).not.toContain('Alderley')
  })

  it('shows a place viewer their place, and refuses partners and other ICSs', async () => {
    const viewer = await signIn(context.app, 'carrow.viewer@test.example', testDemoPassword)
    expect([...heatmapOf((await viewer.get(dashboard())).text).keys()]).toEqual([String(s.places.carrow), 'median'])
    const partner = await signIn(context.app, 'alderley.partner@test.example', testDemoPassword)
    expect((await partner.get(dashboard())).status).toBe(403)
    const otherIcs = await addUser(context, 'other@test.example', {
      role: 'ics_lead',
      ics_id: (await context.db('ics').insert({ name: 'Other', slug: 'other', created_at: timestamp() }, ['id']))[0].id,
    })
    expect(otherIcs).toBeGreaterThan(0)
    const other = await signIn(context.app, 'other@test.example', testDemoPassword)
    expect((await other.get(dashboard())).status).toBe(404)
    expect((await other.get(`/rounds/${s.currentId}/dashboard.csv`)).status).toBe(404)
  })

  it('opens the current round from /dashboard', async () => {
    const response = await lead.get('/dashboard')
    expect(response.status).toBe(303)
    expect(response.headers.location).toBe(dashboard())
  })

  /** The queries one request to the dashboard makes. */
  const queriesFor = async (agent: Agent, url: string) => {
    let queries = 0
    const onQuery = () => queries++
    context.db.on('query', onQuery)
    try {
      expect((await agent.get(url)).status).toBe(200)
    } finally {
      context.db.removeListener('query', onQuery)
    }
    return queries
  }

  it('reads the same fixed number of queries whatever the number of places, and fewer while nothing changed', async () => {
    const addPlace = async (name: string) => {
      const [row] = (await context
        .db('places')
        .insert({ ics_id: s.icsId, name, slug: name.toLowerCase(), created_at: timestamp() }, ['id'])) as Array<{ id: number }>
      await context.db('round_places').insert({ round_id: s.currentId, place_id: row!.id })
      return row!.id
    }
    const added: number[] = []
    try {
      // Each added place changes the data, so each count is of a page read afresh.
      added.push(await addPlace('Dunmore'))
      const fresh = await queriesFor(lead, dashboard())
      added.push(await addPlace('Eastleigh'), await addPlace('Fenwick'))
      expect(await queriesFor(lead, dashboard())).toBe(fresh)
      expect(fresh).toBeLessThanOrEqual(20)
      // Unchanged data: the results and the page are reused after reading the version of them.
      expect(await queriesFor(lead, dashboard())).toBeLessThan(fresh)
      expect(heatmapOf((await lead.get(dashboard())).text).size).toBe(3 + 3 + 1)
    } finally {
      await context.db('round_places').whereIn('place_id', added).delete()
      await context.db('places').whereIn('id', added).delete()
    }
  })

  it('shows every change at once, even at the same moment as the last (the reuse is checked against the database)', async () => {
    const cell = async (placeId: number, code: string) =>
      heatmapOf((await lead.get(dashboard())).text)
        .get(String(placeId))!
        .get(code)!
    const returnId = (
      (await context.db('place_returns').where({ round_id: s.currentId, place_id: s.places.alderley }).first('id')) as { id: number }
    ).id
    const gv5 = (await context
      .db('framework_criteria as c')
      .join('rounds as r', 'r.framework_version_id', 'c.version_id')
      .where({ 'r.id': s.currentId, 'c.code': 'GV5' })
      .first('c.id')) as { id: number }
    expect(await cell(s.places.alderley, 'GV5')).toEqual({ level: 2, marks: 'M' })
    // The same moderation time, another level.
    await context.db('moderations').where({ place_return_id: returnId, criterion_id: gv5.id }).update({ level: 3 })
    expect(await cell(s.places.alderley, 'GV5')).toEqual({ level: 3, marks: 'M ✓' })
    // Moderation removed: back to the agreed level.
    const moderation = await context.db('moderations').where({ place_return_id: returnId, criterion_id: gv5.id }).first()
    await context.db('moderations').where({ place_return_id: returnId, criterion_id: gv5.id }).delete()
    expect(await cell(s.places.alderley, 'GV5')).toEqual({ level: 3, marks: 'A ✓' })
    await context.db('moderations').insert({ ...moderation, level: 2 })
    expect(await cell(s.places.alderley, 'GV5')).toEqual({ level: 2, marks: 'M' })
    // A partner's submission reopened: Brookfield's median changes from floor((1+4)/2) to 4.
    const council = (await context.db('organisations').where({ name: 'Brookfield Council' }).first('id')) as { id: number }
    await context.db('responses').where({ round_id: s.currentId, organisation_id: council.id }).update({ status: 'in_progress' })
    expect(await cell(s.places.brookfield, 'AV1')).toEqual({ level: 4, marks: 'P ✓' })
    await context.db('responses').where({ round_id: s.currentId, organisation_id: council.id }).update({ status: 'submitted' })
    expect(await cell(s.places.brookfield, 'AV1')).toEqual({ level: 2, marks: 'P !' })
    // A decision changed.
    await context.db('delegation_decisions').where({ round_id: s.currentId, place_id: s.places.alderley }).update({ decided_level: 3 })
    expect((await lead.get(dashboard())).text).toMatch(
      /Level 3 – Full delegation<\/th>\s*<td[^>]*><span[^>]*>Recommended <\/span>0<\/td>\s*<td[^>]*><span[^>]*>Decided <\/span>1</,
    )
    await context.db('delegation_decisions').where({ round_id: s.currentId, place_id: s.places.alderley }).update({ decided_level: 2 })
  })

  it('finds a round deleted since it was shown missing, at once', async () => {
    const copy = (await context.db('rounds').where({ id: s.currentId }).first()) as Record<string, unknown>
    const [row] = (await context
      .db('rounds')
      .insert({ ...copy, id: undefined, title: 'A round soon deleted', published_at: null, published_by: null }, ['id'])) as Array<{
      id: number
    }>
    const url = `/rounds/${row!.id}/dashboard`
    expect((await lead.get(url)).status).toBe(200)
    await context.db('rounds').where({ id: row!.id }).delete()
    expect((await lead.get(url)).status).toBe(404)
  })

  it('marks the system report a draft until the results are published, at once on every instance', async () => {
    const another = await signIn(context.anotherInstance(), 'lead@test.example', testDemoPassword)
    const draft = '(draft: results not yet published)'
    for (const agent of [lead, another]) expect((await agent.get(dashboard())).text).toContain(draft)
    const user = (await context.db('users').where({ email: 'lead@test.example' }).first('id')) as { id: number }
    await context.db('rounds').where({ id: s.currentId }).update({ published_at: timestamp(), published_by: user.id })
    try {
      for (const agent of [lead, another]) {
        const page = (await agent.get(dashboard())).text
        expect(page).toContain(`href="/rounds/${s.currentId}/report.pdf"`)
        expect(page).not.toContain(draft)
      }
    } finally {
      await context.db('rounds').where({ id: s.currentId }).update({ published_at: null, published_by: null })
    }
    expect((await lead.get(dashboard())).text).toContain(draft)
  })
})

describe('home pages and the places list', () => {
  let context: TestContext
  let s: Seeded

  beforeAll(async () => {
    context = await createTestContext({ now: new Date('2026-11-22T10:00:00Z') })
    s = await seed(context)
  })
  afterAll(() => context.close())

  it('gives a partner each open self-assessment with its deadline, days left, progress and a Continue button', async () => {
    const partner = await signIn(context.app, 'carrow.partner@test.example', testDemoPassword)
    const home = (await partner.get('/home')).text
    expect(home).toContain('Current round')
    expect(home).toContain('4 December 2026 at 17:00 (12 days left)')
    expect(home).toContain('16 of 16 criteria answered')
    expect(home).toContain(`href="/rounds/${s.currentId}/organisations/`)
    expect(home).toMatch(/>Continue<span class="nhsuk-u-visually-hidden"> Current round<\/span><\/a>/)
    // A submitted self-assessment is done: nothing to continue.
    const submitted = await signIn(context.app, 'alderley.partner@test.example', testDemoPassword)
    expect((await submitted.get('/home')).text).toContain('There is no self-assessment for you to complete at the moment.')
  })

  it('gives a place lead the return’s status and each partner’s progress', async () => {
    const placeLead = await signIn(context.app, 'brookfield.lead@test.example', testDemoPassword)
    const home = (await placeLead.get('/home')).text
    expect(home).toContain('Not started: 0 of 16 positions agreed')
    expect(home).toContain('2 of 3')
    expect(home).toMatch(/Brookfield Healthwatch[\s\S]*?Not started[\s\S]*?0 of 16/)
    expect(home).toMatch(/Brookfield Trust[\s\S]*?Submitted[\s\S]*?16 of 16/)
    expect(home).toContain(`href="/rounds/${s.currentId}/places/${s.places.brookfield}"`)
    expect(home).not.toContain('Alderley')
  })

  it('gives an ICS lead the current round’s summary and the way to the dashboard', async () => {
    const lead = await signIn(context.app, 'lead@test.example', testDemoPassword)
    const home = (await lead.get('/home')).text
    expect(home).toContain('4 of 6 partner organisations')
    expect(home).toMatch(/Place returns received<\/dt><dd class="nhsuk-summary-list__value">1 of 3/)
    expect(home).toContain('Level 3: 0, Level 2: 1, Level 1: 2 places')
    expect(home).toContain('1 of 3 places decided')
    expect(home).toContain(`href="/rounds/${s.currentId}/dashboard"`)
    expect(home).toContain('href="/dashboard"')
    // A change shows at the next visit: the results reused between visits are checked against the database.
    await context.db('place_returns').where({ round_id: s.currentId, place_id: s.places.carrow }).update({ status: 'submitted' })
    try {
      expect((await lead.get('/home')).text).toMatch(/Place returns received<\/dt><dd class="nhsuk-summary-list__value">2 of 3/)
    } finally {
      await context.db('place_returns').where({ round_id: s.currentId, place_id: s.places.carrow }).update({ status: 'draft' })
    }
  })

  it('lists each place with its latest readiness and its latest decision', async () => {
    const viewer = await signIn(context.app, 'viewer@test.example', testDemoPassword)
    const html = (await viewer.get('/places')).text
    const row = (id: number) =>
      new RegExp(`<tr class="nhsuk-table__row" data-place="${id}">([\\s\\S]*?)</tr>`)
        .exec(html)![1]!
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
    expect(row(s.places.alderley)).toContain('Level 2 – Partial delegation')
    expect(row(s.places.alderley)).toContain('Level 2 – Partial delegation 20 November 2026, Current round')
    expect(row(s.places.brookfield)).toContain('Level 1 – ICB-led')
    expect(row(s.places.brookfield)).toContain('No decision yet')
    const placeLead = await signIn(context.app, 'brookfield.lead@test.example', testDemoPassword)
    const own = (await placeLead.get('/places')).text
    expect(own).toContain('Brookfield')
    expect(own).not.toContain('Alderley')
  })
})
