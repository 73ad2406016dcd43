import request from 'supertest'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { signIn } from '../helpers/session'

describe('queries per request', () => {
  let context: TestContext
  let queries: string[] = []
  const record = (q: { sql: string }) => queries.push(q.sql)

  beforeAll(async () => {
    context = await createTestContext({ demo: true })
    context.db.on('query', record)
  })
  afterAll(async () => {
    context.db.off('query', record)
    await context.close()
  })

  async function count(run: () => Promise<{ status: number }>): Promise<number> {
    queries = []
    const response = await run()
    expect(response.status).toBe(200)
    return queries.length
  }

  it('reads the session and the signed-in user with their memberships in one query', async () => {
    const partner = await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
    // The first page after signing in also stores the session's CSRF token.
    await partner.get('/framework')
    // The framework page reads the framework in one query; everything else is the session's.
    expect(await count(() => partner.get('/framework'))).toBe(2)
    expect(queries.filter((q) => /from ["`]sessions["`].*join ["`]users["`].*join ["`]memberships["`]/.test(q))).toHaveLength(1)
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    await lead.get('/framework')
    expect(await count(() => lead.get('/framework'))).toBe(2)
  })

  it('sees a role given since the last request, and ends the session of a user deactivated since', async () => {
    const viewer = await signIn(context.app, 'board.viewer@example.org', testDemoPassword)
    expect((await viewer.get('/home')).text).not.toContain('Your self-assessments')
    const user = (await context.db('users').where({ email: 'board.viewer@example.org' }).first('id')) as { id: number }
    const organisation = (await context.db('organisations').where({ name: 'Wirral Council' }).first('id', 'place_id')) as {
      id: number
      place_id: number
    }
    const ics = (await context.db('places').where({ id: organisation.place_id }).first('ics_id')) as { ics_id: number }
    await context.db('memberships').insert({
      user_id: user.id,
      role: 'partner',
      ics_id: ics.ics_id,
      place_id: organisation.place_id,
      organisation_id: organisation.id,
      created_at: new Date().toISOString(),
    })
    expect((await viewer.get('/home')).text).toContain('Your self-assessments')
    await context.db('users').where({ id: user.id }).update({ is_active: false })
    const after = await viewer.get('/home')
    expect(after.status).toBe(303)
  })

  it('reads the public framework page in one query, without reading the framework itself', async () => {
    await request(context.app).get('/framework')
    expect(await count(() => request(context.app).get('/framework'))).toBe(1)
    expect(queries[0]).not.toMatch(/document/)
  })

  it('shows someone signed in the framework without copying out a framework it already holds', async () => {
    const partner = await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
    await partner.get('/framework')
    const documents: unknown[] = []
    const collect = (rows: unknown) => {
      for (const row of Array.isArray(rows) ? rows : [rows])
        if (row && typeof row === 'object' && 'document' in row) documents.push(row.document)
    }
    context.db.on('query-response', collect)
    try {
      expect(await count(() => partner.get('/framework'))).toBe(2)
    } finally {
      context.db.off('query-response', collect)
    }
    expect(documents).toEqual([null])
  })
})
