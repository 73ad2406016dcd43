import request from 'supertest'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { countRows } from '../helpers/counts'
import { csrfFrom, errorSummaryOf, formFieldsOf, signIn, type Agent } from '../helpers/session'
import { addUser } from '../helpers/users'
import { concretePath, demoRouteIds, knownRoutes, type RouteIds } from '../helpers/routes'

/**
 * The rules every request meets before a route sees it (findings 5, 6, 9 and 12 of the
 * hardening issue): one body-parsing rule, body limits sized from the largest valid form,
 * nothing stored for anonymous posts, and no caching of what a signed-in person sees.
 */

const partnerEmail = 'partner.wirral.council@example.org'

/** The CSRF token of this visitor's session, for the header scripts send it in. */
async function tokenOf(agent: Agent, signedIn: boolean): Promise<string> {
  return csrfFrom((await agent.get(signedIn ? '/home' : '/sign-in')).text)
}

const governance = ['GV1', 'GV2', 'GV3', 'GV4', 'GV5']

const emails: Record<string, string> = {
  'ics lead': 'ics.lead@example.org',
  'place lead': 'place.lead.wirral@example.org',
  partner: partnerEmail,
}

describe('rules for every request', () => {
  let context: TestContext
  let ids: RouteIds
  const agents = new Map<string, Agent>()

  beforeAll(async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '10000', TOKEN_RATE_LIMIT: '10000' } })
    ids = await demoRouteIds(context.db)
    // Empty posts really act (deactivate is a button with no fields): aim them at someone nobody signs in as.
    const icsId = ((await context.db('ics').first('id')) as { id: number }).id
    ids['users:id'] = await addUser(context, 'bystander@example.org', { role: 'viewer', ics_id: icsId })
    ids.membershipId = ((await context.db('memberships').where({ user_id: ids['users:id'] }).first('id')) as { id: number }).id
    agents.set('anonymous', request.agent(context.app))
    for (const [who, email] of Object.entries(emails)) agents.set(who, await signIn(context.app, email, testDemoPassword))
  })
  afterAll(() => context.close())

  describe('one body-parsing rule (finding 5)', () => {
    const bodies: Array<[string, string | undefined, string]> = [
      ['text/plain', 'text/plain', 'email=a@example.org&password=x'],
      [
        'multipart',
        'multipart/form-data; boundary=XyZ',
        '--XyZ\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.org\r\n--XyZ--\r\n',
      ],
      ['XML', 'application/xml', '<?xml version="1.0"?><form><email>a@example.org</email></form>'],
      ['a body with no content type', undefined, 'email=a@example.org'],
    ]

    it('answers 415 to a body of a kind no route takes, and never 500, on every POST route as every visitor', async () => {
      const posts = knownRoutes(context.app).filter((r) => r.method === 'post')
      expect(posts.length).toBeGreaterThan(15)
      const answers: string[] = []
      for (const route of posts) {
        for (const [who, agent] of agents) {
          const token = await tokenOf(agent, who !== 'anonymous')
          for (const [kind, type, body] of bodies) {
            // A route that takes uploads takes multipart forms (with a file or not).
            if (kind === 'multipart' && route.rule?.body?.accepts.includes('multipart')) continue
            const post = agent.post(concretePath(route.path, ids)).set('x-csrf-token', token)
            if (type) post.set('Content-Type', type)
            // A Buffer, so that superagent adds no content type of its own.
            const response = await post.send(Buffer.from(body!))
            answers.push(`${route.path} as ${who} with ${kind}: ${response.status}`)
          }
        }
      }
      expect(answers.filter((a) => !a.endsWith(': 415'))).toEqual([])
    })

    it('treats a POST with no body as an empty form, never a 500, on every POST route as every visitor', async () => {
      const problems: string[] = []
      for (const route of knownRoutes(context.app).filter((r) => r.method === 'post')) {
        for (const [who, agent] of agents) {
          const response = await agent.post(concretePath(route.path, ids)).set('x-csrf-token', await tokenOf(agent, who !== 'anonymous'))
          if (response.status >= 500 || response.status === 415) problems.push(`${route.path} as ${who}: ${response.status}`)
          if (route.path === '/sign-out' && who !== 'anonymous') agents.set(who, await signIn(context.app, emails[who]!, testDemoPassword))
        }
      }
      expect(problems).toEqual([])
    })

    it('answers 400 with a message to a body that cannot be read', async () => {
      const partner = agents.get('partner')!
      const token = await tokenOf(partner, true)
      const domain = concretePath('/rounds/:roundId/organisations/:organisationId/domains/:domainCode', ids)
      for (const body of ['{"evidence-GV1": ', '[1, 2, 3]', '"just text"', 'null']) {
        const response = await partner
          .post(domain)
          .set('x-csrf-token', token)
          .set('Accept', 'application/json')
          .set('Content-Type', 'application/json')
          .send(body)
        expect([body, response.status]).toEqual([body, 400])
        expect(response.body).toEqual({ error: { code: 'bad_request', message: expect.stringContaining('could not be read') } })
      }
      // JSON is for autosave only: an ordinary form does not take it.
      const signIn = await agents
        .get('anonymous')!
        .post('/sign-in')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ email: 'a@example.org', password: 'x' }))
      expect(signIn.status).toBe(415)
      expect(signIn.text).toContain('could not read what was sent')
    })
  })

  it('answers an id too large for any row with not found or a message, never a database error', async () => {
    const lead = agents.get('ics lead')!
    for (const path of ['/rounds/2147483648/manage', '/admin/users/99999999999', `/places/${ids.placeId}/actions/4294967296`]) {
      expect([path, (await lead.get(path)).status]).toEqual([path, 404])
    }
    expect((await lead.get('/admin/audit?user=2147483648')).status).toBe(400)
    const api = await request(context.app).get('/api/v1/rounds/99999999999/results').set('Authorization', 'Bearer not-a-token')
    expect(api.status).toBeLessThan(500)
  })

  describe('body limits sized from the largest valid form (finding 6)', () => {
    async function governanceForm(text: (code: string, field: string) => string) {
      const partner = agents.get('partner')!
      const domain = concretePath('/rounds/:roundId/organisations/:organisationId/domains/:domainCode', ids)
      const page = await partner.get(domain)
      const fields: Record<string, string> = {
        ...formFieldsOf(page.text, '<form method="post" action="/rounds/'),
        _csrf: csrfFrom(page.text),
      }
      for (const code of governance) {
        fields[`level-${code}`] = '2'
        fields[`evidence-${code}`] = text(code, 'evidence')
        fields[`support-${code}`] = text(code, 'support')
        fields[`target-${code}`] = ''
      }
      return { partner, domain, fields }
    }

    const storedEvidence = async () =>
      (await context
        .db('answers as a')
        .join('responses as r', 'r.id', 'a.response_id')
        .join('framework_criteria as c', 'c.id', 'a.criterion_id')
        .where({ 'r.round_id': ids.roundId, 'r.organisation_id': ids.organisationId })
        .whereIn('c.code', governance)
        .orderBy('c.code')
        .select('a.evidence', 'a.support_needed')) as Array<{ evidence: string; support_needed: string }>

    it.each([
      ['Devanagari', 'क'],
      ['accented Latin', 'é'],
    ])('saves a governance page with every field at 5,000 characters of %s', async (_name, letter) => {
      const text = (code: string, field: string) => `${code} ${field} `.padEnd(5000, letter)
      const { partner, domain, fields } = await governanceForm(text)
      const body = new URLSearchParams({ ...fields, action: 'save' }).toString()
      expect(body.length).toBeGreaterThan(letter === 'क' ? 400_000 : 250_000)
      const response = await partner.post(domain).type('form').send(body)
      expect(response.status).toBe(303)
      const stored = await storedEvidence()
      expect(stored.map((s) => [s.evidence, s.support_needed])).toEqual(
        governance.map((code) => [text(code, 'evidence'), text(code, 'support')]),
      )
    })

    it('saves the same by JSON autosave', async () => {
      const text = (code: string, field: string) => `${code} ${field} autosaved `.padEnd(5000, 'ह')
      const { partner, domain, fields } = await governanceForm(text)
      const response = await partner
        .post(domain)
        .set('Accept', 'application/json')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ ...fields, action: 'save' }))
      expect(response.status).toBe(200)
      expect((await storedEvidence())[0]!.evidence).toBe(text('GV1', 'evidence'))
    })

    it('answers a field one character too long with its message, keeping what was typed, not 413', async () => {
      const text = (code: string, field: string) => (code === 'GV3' && field === 'evidence' ? 'क'.repeat(5001) : 'क'.repeat(10))
      const { partner, domain, fields } = await governanceForm(text)
      const response = await partner
        .post(domain)
        .type('form')
        .send({ ...fields, action: 'save' })
      expect(response.status).toBe(400)
      expect(errorSummaryOf(response.text)).toEqual(['Evidence for GV3 must be 5,000 characters or fewer – you have 5,001'])
      expect(response.text).toContain('क'.repeat(5001))
    })

    it('refuses with 413 a body larger than any valid form of the route', async () => {
      const anonymous = agents.get('anonymous')!
      const token = await tokenOf(anonymous, false)
      const response = await anonymous
        .post('/sign-in')
        .type('form')
        .send({ _csrf: token, email: 'a@example.org', password: 'x'.repeat(400_000) })
      expect(response.status).toBe(413)
      expect(response.text).toContain('larger than any form')
    })
  })

  describe('anonymous posts store nothing (finding 9)', () => {
    it('sends an anonymous post to a protected route to sign in without creating a session', async () => {
      const before = await countRows(context.db, 'sessions')
      const domain = concretePath('/rounds/:roundId/organisations/:organisationId/domains/:domainCode', ids)
      for (const path of [domain, '/admin/invitations', concretePath('/places/:placeId/actions', ids)]) {
        const response = await request(context.app)
          .post(path)
          .type('form')
          .send({ 'evidence-GV1': 'x'.repeat(100_000), note: 'anonymous' })
        expect(response.status).toBe(303)
        expect(response.headers.location).toBe('/sign-in')
        expect(response.headers['set-cookie']).toBeUndefined()
      }
      expect(await countRows(context.db, 'sessions')).toBe(before)
    })

    it('keeps a timed-out user’s form, at most 20 times a session, and offers the last one back to them only', async () => {
      const domain = concretePath('/rounds/:roundId/organisations/:organisationId/domains/:domainCode', ids)
      const partner = await signIn(context.app, partnerEmail, testDemoPassword)
      const page = await partner.get(domain)
      const fields = formFieldsOf(page.text, '<form method="post" action="/rounds/')
      context.clock.advance(45 * 60_000)
      const sessionsBefore = await countRows(context.db, 'sessions')
      for (let attempt = 1; attempt <= 25; attempt++) {
        const response = await partner
          .post(domain)
          .type('form')
          .send({ ...fields, _csrf: csrfFrom(page.text), 'evidence-GV2': `Typed, attempt ${attempt}`, action: 'save' })
        expect(response.status).toBe(303)
      }
      expect(await countRows(context.db, 'sessions')).toBe(sessionsBefore)
      const signInPage = await partner.get('/sign-in')
      const back = await partner
        .post('/sign-in')
        .type('form')
        .send({ _csrf: csrfFrom(signInPage.text), email: partnerEmail, password: testDemoPassword })
      expect(back.headers.location).toBe(domain)
      const restored = await partner.get(domain)
      expect(restored.text).toContain('We have kept what you typed below')
      expect(restored.text).toContain('Typed, attempt 20')
      expect(restored.text).not.toContain('Typed, attempt 21')
    })
  })

  describe('no caching of signed-in pages (finding 12)', () => {
    // Earlier tests move the clock past the idle timeout: sign in afresh.
    beforeAll(async () => {
      for (const [who, email] of Object.entries(emails)) agents.set(who, await signIn(context.app, email, testDemoPassword))
    })

    it.each([
      ['partner', '/home'],
      ['partner', '/assessments'],
      ['partner', '/rounds/:roundId/organisations/:organisationId/answers.csv'],
      ['place lead', '/places/:placeId'],
      ['ics lead', '/admin/users'],
      ['ics lead', '/rounds'],
      ['anonymous', '/sign-in'],
    ])('as %s, %s is never stored', async (who, path) => {
      const response = await agents.get(who)!.get(concretePath(path, ids))
      expect(response.status).toBe(200)
      expect(response.headers['cache-control']).toBe('no-store')
    })

    it('lets the public framework page be cached as before', async () => {
      const response = await request(context.app).get('/framework')
      expect(response.headers['cache-control']).not.toBe('no-store')
    })
  })
})
