import { parse } from 'csv-parse/sync'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { csrfFrom, formFieldsOf, signIn, type Agent } from '../helpers/session'

/**
 * Finding 3 of the hardening issue: the partner's CSV copy exported evidence that a spreadsheet
 * runs as a formula unchanged, and the ICS and place leads download the same file.
 */

const dangerous: Record<string, string> = {
  AV1: '=HYPERLINK("http://x","y")',
  AV2: "+cmd|' /C calc'!A0",
  AV3: '-2+3+cmd|calc',
}
const dangerousSupport: Record<string, string> = {
  AV1: '@SUM(1+1)*cmd|calc',
  AV2: '\t=1+1',
  AV3: '\r=1+1',
}

async function download(agent: Agent, path: string): Promise<{ raw: string; rows: string[][] }> {
  const response = await agent
    .get(path)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')))
    })
  expect(response.status).toBe(200)
  expect(response.headers['content-type']).toMatch(/^text\/csv/)
  const raw = response.body as string
  return { raw, rows: parse(raw, { bom: true }) as string[][] }
}

describe('the CSV copy of a self-assessment', () => {
  let context: TestContext
  let path: string
  beforeAll(async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000' } })
    const round = (await context.db('rounds').orderBy('id', 'desc').first('id')) as { id: number }
    const organisation = (await context.db('organisations').where({ name: 'Wirral Council' }).first('id')) as { id: number }
    path = `/rounds/${round.id}/organisations/${organisation.id}`
    const partner = await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
    const page = await partner.get(`${path}/domains/AV`)
    const fields = formFieldsOf(page.text, '<form method="post" action="/rounds/')
    for (const code of Object.keys(dangerous)) {
      fields[`level-${code}`] = '2'
      fields[`evidence-${code}`] = dangerous[code]!
      fields[`support-${code}`] = dangerousSupport[code]!
      fields[`target-${code}`] = ''
    }
    const saved = await partner
      .post(`${path}/domains/AV`)
      .type('form')
      .send({ ...fields, _csrf: csrfFrom(page.text), action: 'save' })
    expect(saved.status).toBe(303)
  })
  afterAll(() => context.close())

  it.each(['partner.wirral.council@example.org', 'place.lead.wirral@example.org', 'ics.lead@example.org'])(
    'neutralises every formula-like cell for %s, keeping the text readable',
    async (email) => {
      const agent = await signIn(context.app, email, testDemoPassword)
      const { raw, rows } = await download(agent, `${path}/answers.csv`)
      expect(raw.startsWith('\uFEFF')).toBe(true)
      const [header, ...body] = rows
      expect(header).toEqual([
        'Domain',
        'Code',
        'Criterion',
        'Level',
        'Evidence',
        'Support we would need',
        'Target level',
        'Last changed',
        'Changed by',
      ])
      for (const code of Object.keys(dangerous)) {
        const row = body.find((r) => r[1] === code)!
        expect(row[4]).toBe(`'${dangerous[code]}`)
        expect(row[5]).toBe(`'${dangerousSupport[code]}`)
        // London time: the test clock is 10:00 UTC on 22 November 2026, which is 10:00 GMT.
        expect(row[7]).toBe('2026-11-22 10:00:00')
      }
      for (const row of body) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
    },
  )
})
