import { createHash } from 'node:crypto'
import Ajv2020 from 'ajv/dist/2020'
import type { Express } from 'express'
import fc from 'fast-check'
import request from 'supertest'
import { prepareDatabase } from '../../server/bootstrap'
import { timestamp } from '../../server/db/values'
import { createLogger } from '../../server/logger'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { csrfFrom, errorSummaryOf, signIn, type Agent } from '../helpers/session'
import { parsePdf } from '../helpers/pdf'
import { addUser } from '../helpers/users'

/**
 * The JSON API (/api/v1/) against the real app and database: its OpenAPI document walked and
 * every response checked against it with ajv, tokens from every angle, bad parameters from
 * fast-check, pagination, ETags, rate limits, and the ICS lead's tokens page.
 */

const demoToken = 'demo-api-token-for-the-tests-0123456789'

interface OpenApi {
  paths: Record<
    string,
    {
      get: {
        parameters: Array<{ name: string; in: string; required: boolean }>
        responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>
        security: unknown[]
      }
    }
  >
  components: { schemas: Record<string, unknown> }
}

let context: TestContext
let doc: OpenApi
let ajv: Ajv2020
let ids: { roundId: number; baselineId: number; upcomingId: number; wirralId: number; frameworkId: number; demoIcsId: number }
let otherToken: string
let revokedToken: string
let lead: Agent

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })

function validate(schemaRef: string, body: unknown): string[] {
  const check = ajv.getSchema(`api${schemaRef}`) ?? ajv.compile({ $ref: `api${schemaRef}` })
  return check(body) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
}

/** The schema a documented response of one status has, as a $ref into the document. */
function responseRef(path: string, status: number): string | undefined {
  return doc.paths[path]!.get.responses[String(status)]?.content?.['application/json']?.schema.$ref
}

function urlOf(path: string, values: Record<string, string | number> = {}): string {
  const defaults: Record<string, string | number> = { roundId: ids.roundId, placeId: ids.wirralId, frameworkId: ids.frameworkId }
  return `/api/v1${path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(String(values[name] ?? defaults[name])))}`
}

beforeAll(async () => {
  context = await createTestContext({
    demo: true,
    env: { DEMO_API_TOKEN: demoToken, TOKEN_RATE_LIMIT: '10000', API_RATE_LIMIT: '100000', SIGN_IN_RATE_LIMIT: '1000' },
  })
  const demoIcs = (await context.db('ics').first('id')) as { id: number }
  // By opening: the baseline, the current round and the next one, set up early (upcoming).
  const rounds = (await context.db('rounds').orderBy('opens_at').select('id')) as Array<{ id: number }>
  const wirral = (await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }
  const framework = (await context.db('frameworks').where({ slug: 'cheshire-merseyside-place-development' }).first('id')) as { id: number }
  ids = {
    baselineId: rounds[0]!.id,
    roundId: rounds[1]!.id,
    upcomingId: rounds[2]!.id,
    wirralId: wirral.id,
    frameworkId: framework.id,
    demoIcsId: demoIcs.id,
  }

  // Another ICS, with its own lead and token.
  const [otherIcs] = (await context.db('ics').insert({ name: 'Another ICS', slug: 'another', created_at: timestamp() }, ['id'])) as Array<{
    id: number
  }>
  await addUser(context, 'other.lead@example.org', { role: 'ics_lead', ics_id: otherIcs!.id })
  const other = await signIn(context.app, 'other.lead@example.org', testDemoPassword)
  otherToken = await createTokenThroughPage(other, 'Other ICS analysis', otherIcs!.id)

  lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
  revokedToken = await createTokenThroughPage(lead, 'Soon revoked', ids.demoIcsId)
  const revokedId = ((await context.db('api_tokens').where({ name: 'Soon revoked' }).first('id')) as { id: number }).id
  const page = await lead.get(`/admin/api-tokens?ics=${ids.demoIcsId}`)
  const revoked = await lead
    .post(`/admin/api-tokens/${revokedId}/revoke`)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), ics: String(ids.demoIcsId) })
  expect(revoked.status).toBe(303)

  const response = await request(context.app).get('/api/v1/openapi.json')
  expect(response.status).toBe(200)
  doc = response.body as OpenApi
  ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
  ajv.addSchema({ $id: 'api', components: doc.components })
})
afterAll(() => context.close())

async function createTokenThroughPage(agent: Agent, name: string, icsId: number): Promise<string> {
  const page = await agent.get(`/admin/api-tokens?ics=${icsId}`)
  const created = await agent
    .post('/admin/api-tokens')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), name, ics: String(icsId) })
  expect(created.status).toBe(201)
  const secret = /id="token-secret" type="text" value="([^"]+)"/.exec(created.text)?.[1]
  expect(secret).toMatch(/^placeready_[A-Za-z0-9_-]{43}$/)
  return secret!
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and describes exactly the routes the API serves', () => {
    expect((doc as unknown as { openapi: string }).openapi).toBe('3.1.0')
    interface Layer {
      route?: { path: string; methods: Record<string, boolean> }
      handle?: { stack?: Layer[] }
    }
    const served: string[] = []
    const walk = (stack: Layer[]) => {
      for (const layer of stack) {
        if (layer.route?.path.startsWith('/api/'))
          for (const method of Object.keys(layer.route.methods)) served.push(`${method.toUpperCase()} ${layer.route.path}`)
        else if (layer.handle?.stack) walk(layer.handle.stack)
      }
    }
    walk((context.app as unknown as { router: { stack: Layer[] } }).router.stack)
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} /api/v1${path.replace(/\{(\w+)\}/g, ':$1')}`),
    )
    expect(served.sort()).toEqual(documented.sort())
    // The stable paths of PRODUCT.md are all there.
    for (const path of [
      '/rounds',
      '/rounds/{roundId}/results',
      '/frameworks/{frameworkId}',
      '/rounds/{roundId}/places/{placeId}/report.pdf',
      '/rounds/{roundId}/report.pdf',
    ])
      expect(Object.keys(doc.paths)).toContain(path)
  })
})

describe('every path and method, with the demo token (DEMO_API_TOKEN)', () => {
  it('answers in its documented shape, with no-store', async () => {
    for (const [path, { get }] of Object.entries(doc.paths)) {
      const response = await request(context.app).get(urlOf(path)).set(bearer(demoToken))
      expect(Object.keys(get.responses)).toContain(String(response.status))
      expect(response.headers['cache-control']).toBe('no-store')
      if (path.endsWith('.pdf') && response.status === 200) {
        expect(response.headers['content-type']).toMatch(/^application\/pdf/)
        continue
      }
      expect({ path, status: response.status }).toEqual({ path, status: 200 })
      const ref = responseRef(path, response.status)!
      expect({ path, errors: validate(ref, response.body) }).toEqual({ path, errors: [] })
    }
  })

  it('lists the demo ICS’s rounds with their places, newest first, and the results of each with every criterion’s level and source', async () => {
    const rounds = await request(context.app).get('/api/v1/rounds').set(bearer(demoToken))
    // The next round, set up early, is listed as upcoming (its results, answers and places answer too, empty until it opens).
    expect(rounds.body.data.map((r: { id: number; state: string }) => [r.id, r.state])).toEqual([
      [ids.upcomingId, 'upcoming'],
      [ids.roundId, 'open'],
      [ids.baselineId, 'closed'],
    ])
    expect(rounds.body.data[1].places).toHaveLength(9)
    const results = await request(context.app).get(`/api/v1/rounds/${ids.baselineId}/results`).set(bearer(demoToken))
    const model = (await context.services.results.round(ids.baselineId))!
    expect(results.body.data.map((p: { place: { name: string } }) => p.place.name)).toEqual(model.places.map((p) => p.place.name))
    for (const [index, place] of model.places.entries()) {
      const served = results.body.data[index]
      expect(served.recommendation.level).toBe(place.readiness.level)
      expect(served.recommendation.explanation).toEqual(place.readiness.explanation)
      expect(served.decision?.level ?? null).toBe(place.decision?.decidedLevel ?? null)
      expect(served.decision?.rationale ?? null).toBe(place.decision?.rationale ?? null)
      expect(served.criteria.map((c: { code: string; level: number | null; source: string }) => [c.code, c.level, c.source])).toEqual(
        place.criteria.map((c) => [c.criterion.code, c.used.level, c.used.source]),
      )
    }
    // The baseline was decided: its decisions are there.
    expect(results.body.data.some((p: { decision: unknown }) => p.decision !== null)).toBe(true)
  })
})

describe('the board reports through the API', () => {
  it('are the real tagged PDFs, of the round and of one place', async () => {
    const binary = (res: request.Response, done: (error: Error | null, body: Buffer) => void) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => done(null, Buffer.concat(chunks)))
    }
    const place = await request(context.app)
      .get(`/api/v1/rounds/${ids.baselineId}/places/${ids.wirralId}/report.pdf`)
      .set(bearer(demoToken))
      .buffer(true)
      .parse(binary as never)
    expect(place.status).toBe(200)
    expect(place.headers['content-disposition']).toMatch(/^attachment; filename=".*\.pdf"$/)
    expect(parsePdf(place.body as Buffer).text).toContain('Wirral')
    const system = await request(context.app)
      .get(`/api/v1/rounds/${ids.baselineId}/report.pdf`)
      .set(bearer(demoToken))
      .buffer(true)
      .parse(binary as never)
    expect(system.status).toBe(200)
    expect(parsePdf(system.body as Buffer).text).toContain('Knowsley')
  })
})

describe('tokens that do not work', () => {
  const cases: Array<[string, () => Record<string, string>]> = [
    ['no token', () => ({})],
    ['a revoked token', () => bearer(revokedToken)],
    ['an unknown token', () => bearer('placeready_not-a-token-anyone-was-ever-given-0000')],
    ['a Basic header', () => ({ Authorization: 'Basic dXNlcjpwYXNz' })],
  ]

  it.each(cases)('%s gets 401 on every path but the description', async (_name, headers) => {
    for (const [path, { get }] of Object.entries(doc.paths)) {
      const response = await request(context.app).get(urlOf(path)).set(headers())
      if (get.security.length === 0 && !headers().Authorization) {
        expect(response.status).toBe(200)
        continue
      }
      expect({ path, status: response.status }).toEqual({ path, status: 401 })
      expect(validate('#/components/schemas/Error', response.body)).toEqual([])
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/)
      expect(response.headers['set-cookie']).toBeUndefined()
    }
  })

  it('audits every refused token, in the token’s ICS when it is known', async () => {
    const before = (await context.db('audit_events').where({ kind: 'api-token.refused' }).count({ n: '*' }).first()) as { n: unknown }
    await request(context.app).get('/api/v1/rounds').set(bearer(revokedToken))
    await request(context.app).get('/api/v1/rounds').set(bearer('placeready_unknown-unknown-unknown-unknown-00'))
    const events = (await context
      .db('audit_events')
      .where({ kind: 'api-token.refused' })
      .orderBy('id', 'desc')
      .limit(2)
      .select()) as Array<{
      ics_id: number | null
      details: string
    }>
    expect(
      Number(((await context.db('audit_events').where({ kind: 'api-token.refused' }).count({ n: '*' }).first()) as { n: unknown }).n),
    ).toBe(Number(before.n) + 2)
    expect(JSON.parse(events[1]!.details)).toMatchObject({ reason: 'revoked', name: 'Soon revoked', path: '/api/v1/rounds' })
    expect(events[1]!.ics_id).toBe(ids.demoIcsId)
    expect(JSON.parse(events[0]!.details)).toMatchObject({ reason: 'unknown' })
    expect(events[0]!.ics_id).toBeNull()
  })

  it('another ICS’s token finds nothing of this ICS: 404, as for what does not exist', async () => {
    const rounds = await request(context.app).get('/api/v1/rounds').set(bearer(otherToken))
    expect(rounds.status).toBe(200)
    expect(rounds.body.data).toEqual([])
    for (const path of Object.keys(doc.paths).filter((p) => p.includes('{roundId}'))) {
      const mine = await request(context.app).get(urlOf(path)).set(bearer(otherToken))
      const missing = await request(context.app)
        .get(urlOf(path, { roundId: 999999 }))
        .set(bearer(otherToken))
      expect({ path, status: mine.status }).toEqual({ path, status: 404 })
      expect(mine.body).toEqual(missing.body)
      expect(mine.body.error).toEqual({ code: 'not_found', message: 'There is no such round' })
    }
  })

  it('another ICS’s token sees the bundled framework but none of this ICS’s own versions of it', async () => {
    const own = (await context
      .db('framework_versions')
      .where({ owner_ics_id: ids.demoIcsId, framework_id: ids.frameworkId })
      .first('id')) as {
      id: number
    }
    // The demo ICS's draft is its newest version: its own token reads it by default.
    const mine = await request(context.app).get(`/api/v1/frameworks/${ids.frameworkId}`).set(bearer(demoToken))
    expect(mine.body.data.version.id).toBe(own.id)
    const theirs = await request(context.app).get(`/api/v1/frameworks/${ids.frameworkId}`).set(bearer(otherToken))
    expect(theirs.status).toBe(200)
    expect(theirs.body.data.versions.map((v: { id: number }) => v.id)).not.toContain(own.id)
    expect(theirs.body.data.version.id).not.toBe(own.id)
    const asked = await request(context.app).get(`/api/v1/frameworks/${ids.frameworkId}?version=${own.id}`).set(bearer(otherToken))
    const missing = await request(context.app).get(`/api/v1/frameworks/${ids.frameworkId}?version=999999`).set(bearer(otherToken))
    expect(asked.status).toBe(404)
    expect(asked.body).toEqual(missing.body)
  })

  it('a token stops working when its maker is no longer an ICS lead there', async () => {
    await addUser(context, 'leaving.lead@example.org', { role: 'ics_lead', ics_id: ids.demoIcsId })
    const leaving = await signIn(context.app, 'leaving.lead@example.org', testDemoPassword)
    const token = await createTokenThroughPage(leaving, 'Leaving lead’s token', ids.demoIcsId)
    expect((await request(context.app).get('/api/v1/rounds').set(bearer(token))).status).toBe(200)
    const user = (await context.db('users').where({ email: 'leaving.lead@example.org' }).first('id')) as { id: number }
    await context.db('memberships').where({ user_id: user.id }).delete()
    expect((await request(context.app).get('/api/v1/rounds').set(bearer(token))).status).toBe(401)
  })
})

describe('bad parameters', () => {
  it('never make the API fail: 400 or 404 in the error shape, whatever is sent', async () => {
    const junk = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.integer().map(String),
      fc.double().map(String),
      fc.constantFrom('0', '-1', '1e3', '00', '2147483648', '9999999999', '9999999999999', ' 1', '1 ', 'null', '[]', '%', '..', '🙂'),
      fc.integer({ min: 2_147_483_648, max: 9_999_999_999 }).map(String),
    )
    const paths = Object.entries(doc.paths).filter(([, { get }]) => get.parameters.length > 0)
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.dictionary(fc.constantFrom('roundId', 'placeId', 'frameworkId', 'limit', 'cursor', 'version'), junk),
        async ([path, { get }], values) => {
          const pathValues: Record<string, string> = {}
          const query = new URLSearchParams()
          for (const p of get.parameters) {
            const value = values[p.name]
            if (value === undefined) continue
            if (p.in === 'path') pathValues[p.name] = value === '' ? ' ' : value
            else query.set(p.name, value)
          }
          const url = `${urlOf(path, pathValues)}${query.size ? `?${query}` : ''}`
          const response = await request(context.app).get(url).set(bearer(demoToken))
          expect(response.status).toBeLessThan(500)
          if (response.status >= 400) expect(validate('#/components/schemas/Error', response.body)).toEqual([])
        },
      ),
      { numRuns: 150 },
    )
  })

  it('says what is wrong', async () => {
    const limit = await request(context.app).get(`/api/v1/rounds/${ids.roundId}/answers?limit=500`).set(bearer(demoToken))
    expect(limit.status).toBe(400)
    expect(limit.body.error).toEqual({ code: 'bad_request', message: 'limit must be a whole number from 1 to 100' })
    const cursor = await request(context.app).get(`/api/v1/rounds/${ids.roundId}/answers?cursor=bm9wZQ`).set(bearer(demoToken))
    expect(cursor.status).toBe(400)
    expect(cursor.body.error.message).toMatch(/cursor/)
    const round = await request(context.app).get('/api/v1/rounds/abc/results').set(bearer(demoToken))
    expect(round.status).toBe(400)
    // Past PostgreSQL's integer: refused before any query (on PostgreSQL it would fail in the query).
    expect((await request(context.app).get('/api/v1/rounds/2147483648/results').set(bearer(demoToken))).status).toBe(400)
    const farCursor = Buffer.from(JSON.stringify(['Wirral', 'Wirral Council', 2147483648])).toString('base64url')
    expect(
      (await request(context.app).get(`/api/v1/rounds/${ids.roundId}/answers?cursor=${farCursor}`).set(bearer(demoToken))).status,
    ).toBe(400)
  })
})

describe('answers, a page at a time', () => {
  it('walks links.next to the end: every organisation once, every saved answer as in the database', async () => {
    const seen: Array<{
      organisation: { id: number }
      answers: Array<{ criterion: string; level: number | null; evidence: string | null }>
    }> = []
    let next: string | undefined = `/api/v1/rounds/${ids.roundId}/answers?limit=7`
    let pages = 0
    while (next) {
      const response: request.Response = await request(context.app).get(next).set(bearer(demoToken))
      expect(response.status).toBe(200)
      expect(validate('#/components/schemas/AnswerPage', response.body)).toEqual([])
      expect(response.body.data.length).toBeLessThanOrEqual(7)
      seen.push(...response.body.data)
      next = response.body.links.next
      pages++
    }
    const organisations = (await context
      .db('organisations as o')
      .join('round_places as rp', 'rp.place_id', 'o.place_id')
      .where('rp.round_id', ids.roundId)
      .select('o.id')) as Array<{ id: number }>
    expect(seen.map((s) => s.organisation.id).sort((a, b) => a - b)).toEqual(organisations.map((o) => o.id).sort((a, b) => a - b))
    expect(pages).toBe(Math.ceil(organisations.length / 7))
    const stored = (await context
      .db('answers as a')
      .join('responses as r', 'r.id', 'a.response_id')
      .join('framework_criteria as c', 'c.id', 'a.criterion_id')
      .where('r.round_id', ids.roundId)
      .select('r.organisation_id', 'c.code', 'a.level', 'a.evidence')) as Array<{
      organisation_id: number
      code: string
      level: number | null
      evidence: string | null
    }>
    const served = seen.flatMap((s) => s.answers.map((a) => [s.organisation.id, a.criterion, a.level, a.evidence]))
    const key = (row: unknown[]) => `${row[0]}:${row[1]}`
    expect(served.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      stored.map((s) => [s.organisation_id, s.code, s.level, s.evidence]).sort((a, b) => key(a).localeCompare(key(b))),
    )
  })
})

describe('results carry an ETag', () => {
  it('answers 304 to If-None-Match until the results change', async () => {
    for (const path of [`/api/v1/rounds/${ids.roundId}/results`, `/api/v1/rounds/${ids.roundId}/places/${ids.wirralId}`]) {
      const first = await request(context.app).get(path).set(bearer(demoToken))
      expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/)
      const again = await request(context.app).get(path).set(bearer(demoToken)).set('If-None-Match', first.headers.etag!)
      expect(again.status).toBe(304)
      await context
        .db('rounds')
        .where({ id: ids.roundId })
        .update({ extended_until: timestamp(new Date('2027-01-15T17:00:00Z')) })
      const changed = await request(context.app).get(path).set(bearer(demoToken)).set('If-None-Match', first.headers.etag!)
      expect(changed.status).toBe(200)
      expect(changed.headers.etag).not.toBe(first.headers.etag)
      await context.db('rounds').where({ id: ids.roundId }).update({ extended_until: null })
    }
  })
})

describe('the API tokens page', () => {
  it('shows a new token once, stores only its hash, lists it with its last use, and revokes it', async () => {
    const secret = await createTokenThroughPage(lead, 'Analyst’s notebook', ids.demoIcsId)
    const row = (await context.db('api_tokens').where({ name: 'Analyst’s notebook' }).first()) as Record<string, unknown>
    expect(row.token_hash).toBe(createHash('sha256').update(secret).digest('hex'))
    expect(JSON.stringify(row)).not.toContain(secret.slice(11))
    const list = await lead.get(`/admin/api-tokens?ics=${ids.demoIcsId}`)
    expect(list.text).toContain('Analyst’s notebook')
    expect(list.text).not.toContain(secret)
    expect(list.text).toContain('Board reporting workbook')

    expect((await request(context.app).get('/api/v1/rounds').set(bearer(secret))).status).toBe(200)
    expect(
      ((await context.db('api_tokens').where({ id: row.id }).first('last_used_at')) as { last_used_at: unknown }).last_used_at,
    ).not.toBeNull()

    const revoke = await lead
      .post(`/admin/api-tokens/${row.id as number}/revoke`)
      .type('form')
      .send({ _csrf: csrfFrom(list.text), ics: String(ids.demoIcsId) })
    expect(revoke.status).toBe(303)
    expect((await request(context.app).get('/api/v1/rounds').set(bearer(secret))).status).toBe(401)
    const kinds = (await context
      .db('audit_events')
      .where({ subject_type: 'api_token', subject_id: String(row.id) })
      .orderBy('id')
      .pluck('kind')) as string[]
    expect(kinds).toEqual(['api-token.created', 'api-token.revoked', 'api-token.refused'])
  })

  it('refuses a form without its CSRF token, a blank name and a name in use, keeping what was typed', async () => {
    const page = await lead.get(`/admin/api-tokens?ics=${ids.demoIcsId}`)
    expect((await lead.post('/admin/api-tokens').type('form').send({ name: 'No CSRF' })).status).toBe(403)
    const blank = await lead
      .post('/admin/api-tokens')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), name: '   ' })
    expect(blank.status).toBe(400)
    expect(errorSummaryOf(blank.text)).toEqual(['Enter a name for the token'])
    const taken = await lead
      .post('/admin/api-tokens')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), name: 'Board reporting workbook' })
    expect(taken.status).toBe(400)
    expect(errorSummaryOf(taken.text)).toEqual(['A token in use already has that name: choose another'])
    expect(taken.text).toContain('value="Board reporting workbook"')
    expect(await context.db('api_tokens').where({ name: 'No CSRF' }).first()).toBeUndefined()
  })

  it('will not let another ICS’s lead revoke this ICS’s token', async () => {
    const other = await signIn(context.app, 'other.lead@example.org', testDemoPassword)
    const page = await other.get('/admin/api-tokens')
    const demo = (await context.db('api_tokens').where({ ics_id: ids.demoIcsId, name: 'Board reporting workbook' }).first('id')) as {
      id: number
    }
    const response = await other
      .post(`/admin/api-tokens/${demo.id}/revoke`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
    expect(response.status).toBe(404)
    expect(((await context.db('api_tokens').where({ id: demo.id }).first('revoked_at')) as { revoked_at: unknown }).revoked_at).toBeNull()
  })
})

describe('DEMO_API_TOKEN', () => {
  it('is a token of the demo ICS lead, made to work again at every start', async () => {
    const demo = (await context
      .db('api_tokens')
      .where({ token_hash: createHash('sha256').update(demoToken).digest('hex') })
      .first()) as { id: number; ics_id: number }
    expect(demo.ics_id).toBe(ids.demoIcsId)
    await context.db('api_tokens').where({ id: demo.id }).update({ revoked_at: timestamp() })
    expect((await request(context.app).get('/api/v1/rounds').set(bearer(demoToken))).status).toBe(401)
    await prepareDatabase(context.db, context.services, context.config, createLogger('silent'), { now: context.clock.now() })
    expect((await request(context.app).get('/api/v1/rounds').set(bearer(demoToken))).status).toBe(200)
    const count = (await context.db('api_tokens').where({ name: 'Demo token (DEMO_API_TOKEN)' }).count({ n: '*' }).first()) as {
      n: unknown
    }
    expect(Number(count.n)).toBe(1)
  })
})

describe('rate limits', () => {
  let limited: TestContext
  let app: Express
  beforeAll(async () => {
    limited = await createTestContext({ demo: true, env: { DEMO_API_TOKEN: demoToken, API_RATE_LIMIT: '3', TOKEN_RATE_LIMIT: '2' } })
    app = limited.app
  })
  afterAll(() => limited.close())

  it('limits requests per token per minute, counted in the database, with Retry-After', async () => {
    for (let i = 0; i < 3; i++) expect((await request(app).get('/api/v1/rounds').set(bearer(demoToken))).status).toBe(200)
    const refused = await request(limited.anotherInstance()).get('/api/v1/rounds').set(bearer(demoToken))
    expect(refused.status).toBe(429)
    expect(refused.body.error.code).toBe('rate_limited')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    // The limit is the token's, not the ICS's or the address's: another token still works.
    const analyst = await signIn(app, 'ics.lead@example.org', testDemoPassword)
    const icsId = ((await limited.db('ics').first('id')) as { id: number }).id
    const second = await createTokenThroughPage(analyst, 'Second workbook', icsId)
    expect((await request(app).get('/api/v1/rounds').set(bearer(second))).status).toBe(200)
    expect((await request(app).get('/api/v1/rounds').set(bearer(demoToken))).status).toBe(429)
    limited.clock.advance(61_000)
    expect((await request(app).get('/api/v1/rounds').set(bearer(demoToken))).status).toBe(200)
  })

  it('after too many bad tokens from one address, answers 429 and records that once, while a good token still works', async () => {
    const bad = bearer('placeready_guess-guess-guess-guess-guess-guess-00')
    expect((await request(app).get('/api/v1/rounds').set(bad)).status).toBe(401)
    expect((await request(app).get('/api/v1/rounds').set(bad)).status).toBe(401)
    for (let i = 0; i < 3; i++) expect((await request(app).get('/api/v1/rounds').set(bad)).status).toBe(429)
    const details = (
      (await limited.db('audit_events').where({ kind: 'api-token.refused' }).orderBy('id').pluck('details')) as string[]
    ).map((d) => (JSON.parse(d) as { reason: string }).reason)
    expect(details).toEqual(['unknown', 'unknown', 'too-many-failures'])
    expect((await request(app).get('/api/v1/rounds').set(bearer(demoToken))).status).toBe(200)
  })
})
