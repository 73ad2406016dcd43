import request from 'supertest'
import { failuresBeforeLockout } from '../../server/services/accountService'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { csrfFrom, errorSummaryOf, signIn } from '../helpers/session'

const lead = 'ics.lead@example.org'
const partner = 'partner.wirral.council@example.org'

function sessionCookie(response: request.Response): string | undefined {
  const cookies = response.headers['set-cookie'] as unknown as string[] | undefined
  return cookies?.find((c) => c.startsWith('placeready.sid='))?.split(';')[0]
}

describe('signing in and out', () => {
  let context: TestContext

  beforeEach(async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000' } })
  })
  afterEach(() => context.close())

  it('signs in with the demo password and lands on the home page with the user’s roles', async () => {
    const agent = await signIn(context.app, lead, testDemoPassword)
    const home = await agent.get('/home')
    expect(home.status).toBe(200)
    expect(home.text).toContain('Welcome, Morgan Ellis')
    expect(home.text).toContain('ICS lead – Cheshire and Merseyside (demo)')
  })

  it('gives a new session id at sign-in, so a planted session id is useless', async () => {
    const agent = request.agent(context.app)
    const page = await agent.get('/sign-in')
    const before = sessionCookie(page)
    const response = await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: lead, password: testDemoPassword })
    const after = sessionCookie(response)
    expect(before).toBeDefined()
    expect(after).toBeDefined()
    expect(after).not.toBe(before)
  })

  it('sets the session cookie httpOnly and SameSite=Lax', async () => {
    const page = await request(context.app).get('/sign-in')
    const cookie = (page.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('placeready.sid='))!
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Lax/i)
  })

  it('shows the error summary for a wrong password and keeps the typed e-mail', async () => {
    const agent = request.agent(context.app)
    const page = await agent.get('/sign-in')
    const response = await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: ' Ics.Lead@Example.org ', password: 'not the password' })
    expect(response.status).toBe(401)
    expect(errorSummaryOf(response.text)).toEqual(['Enter a correct email address and password'])
    expect(response.text).toContain('value=" Ics.Lead@Example.org "')
    expect(response.text).not.toContain('not the password')
    expect(response.text).toMatch(/<title>Error: /)
  })

  it('answers an unknown e-mail exactly as a wrong password, so accounts cannot be discovered', async () => {
    const agent = request.agent(context.app)
    const page = await agent.get('/sign-in')
    const unknown = await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: 'nobody@example.org', password: 'whatever-password' })
    const wrong = await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: lead, password: 'whatever-password' })
    expect(unknown.status).toBe(wrong.status)
    expect(errorSummaryOf(unknown.text)).toEqual(errorSummaryOf(wrong.text))
  })

  it.each([
    [{ email: '', password: '' }, ['Enter your email address', 'Enter your password']],
    [{ email: 'not-an-email', password: 'x' }, ['Enter an email address in the correct format, like name@example.org']],
    [{ email: lead, password: '' }, ['Enter your password']],
  ])('validates %j with status 400', async (fields, messages) => {
    const agent = request.agent(context.app)
    const page = await agent.get('/sign-in')
    const response = await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), ...fields })
    expect(response.status).toBe(400)
    expect(errorSummaryOf(response.text)).toEqual(messages)
    expect(response.text).toContain('nhsuk-form-group--error')
  })

  it('pauses an account after repeated failures, even for the right password, until the pause ends', async () => {
    const agent = request.agent(context.app)
    const page = await agent.get('/sign-in')
    const token = csrfFrom(page.text)
    for (let i = 0; i < failuresBeforeLockout; i++) {
      await agent
        .post('/sign-in')
        .type('form')
        .send({ _csrf: token, email: lead, password: `wrong-${i}` })
    }
    const whileLocked = await agent.post('/sign-in').type('form').send({ _csrf: token, email: lead, password: testDemoPassword })
    expect(whileLocked.status).toBe(401)
    expect(errorSummaryOf(whileLocked.text)).toEqual(['Enter a correct email address and password'])
    context.clock.advance(61_000)
    const after = await agent.post('/sign-in').type('form').send({ _csrf: token, email: lead, password: testDemoPassword })
    expect(after.status).toBe(303)
  })

  it('refuses a state change without a CSRF token, or with a wrong one, with a friendly 403 page', async () => {
    const agent = request.agent(context.app)
    await agent.get('/sign-in')
    const missing = await agent.post('/sign-in').type('form').send({ email: lead, password: testDemoPassword })
    expect(missing.status).toBe(403)
    expect(missing.text).toContain('This page has expired')
    const wrong = await agent.post('/sign-in').type('form').send({ _csrf: 'forged', email: lead, password: testDemoPassword })
    expect(wrong.status).toBe(403)
    const signedIn = await signIn(context.app, lead, testDemoPassword)
    const signOutWithoutToken = await signedIn.post('/sign-out').type('form').send({})
    expect(signOutWithoutToken.status).toBe(403)
    expect((await signedIn.get('/home')).status).toBe(200)
  })

  it('returns to the page the user wanted after signing in', async () => {
    const agent = request.agent(context.app)
    const wanted = await agent.get('/admin/audit?kind=sign-in.failed')
    expect(wanted.status).toBe(303)
    expect(wanted.headers.location).toBe('/sign-in')
    const page = await agent.get('/sign-in')
    const response = await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: lead, password: testDemoPassword })
    expect(response.headers.location).toBe('/admin/audit?kind=sign-in.failed')
  })

  it('never returns to another site after signing in', async () => {
    const agent = request.agent(context.app)
    const page = await agent.get('/sign-in?returnTo=//evil.example.org/x')
    const response = await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: lead, password: testDemoPassword })
    expect(response.headers.location).toBe('/home')
  })

  it('signs out after 30 idle minutes with a clear page, and returns to the same page after signing in', async () => {
    const agent = await signIn(context.app, lead, testDemoPassword)
    context.clock.advance(29 * 60_000)
    expect((await agent.get('/admin/users')).status).toBe(200)
    context.clock.advance(31 * 60_000)
    const timedOut = await agent.get('/admin/users')
    expect(timedOut.status).toBe(303)
    expect(timedOut.headers.location).toBe('/signed-out')
    const notice = await agent.get('/signed-out')
    expect(notice.text).toContain('You were signed out because you did nothing for 30 minutes')
    expect(notice.text).toContain('we will take you back to the page you were on')
    const page = await agent.get('/sign-in')
    const back = await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: lead, password: testDemoPassword })
    expect(back.headers.location).toBe('/admin/users')
  })

  it('signs out after 12 hours however active the user is', async () => {
    const agent = await signIn(context.app, lead, testDemoPassword)
    for (let step = 0; step < 36; step++) {
      context.clock.advance(20 * 60_000)
      expect((await agent.get('/home')).status).toBe(200)
    }
    context.clock.advance(60_000)
    const response = await agent.get('/home')
    expect(response.headers.location).toBe('/signed-out')
    expect((await agent.get('/signed-out')).text).toContain('signed in for 12 hours')
  })

  it('signs out with the button, and the old session no longer works', async () => {
    const agent = await signIn(context.app, partner, testDemoPassword)
    const home = await agent.get('/home')
    const response = await agent
      .post('/sign-out')
      .type('form')
      .send({ _csrf: csrfFrom(home.text) })
    expect(response.headers.location).toBe('/signed-out')
    expect((await agent.get('/signed-out')).text).toContain('You have signed out')
    expect((await agent.get('/home')).status).toBe(303)
  })

  it('keeps a session across a restart: a new app instance on the same database accepts it', async () => {
    const agent = await signIn(context.app, lead, testDemoPassword)
    const cookie = (await agent.get('/home')).request.cookies
    const restarted = context.anotherInstance()
    const response = await request(restarted).get('/home').set('Cookie', cookie)
    expect(response.status).toBe(200)
    expect(response.text).toContain('Welcome, Morgan Ellis')
  })

  it('records successful and failed sign-ins in the audit trail with the address they came from', async () => {
    await signIn(context.app, lead, testDemoPassword)
    const agent = request.agent(context.app)
    const page = await agent.get('/sign-in')
    await agent
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: lead, password: 'wrong-password-1' })
    const events = (await context
      .db('audit_events')
      .where('kind', 'like', 'sign-in.%')
      .orderBy('id')
      .select('kind', 'actor_user_id', 'ip')) as Array<{
      kind: string
      actor_user_id: number
      ip: string
    }>
    expect(events.map((e) => e.kind)).toEqual(['sign-in.succeeded', 'sign-in.failed'])
    expect(events.every((e) => typeof e.ip === 'string' && e.ip.length > 0)).toBe(true)
  })
})

describe('sign-in rate limit', () => {
  it('answers 429 after the configured number of attempts, keeping the typed e-mail', async () => {
    const context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '3' } })
    try {
      const agent = request.agent(context.app)
      const page = await agent.get('/sign-in')
      const token = csrfFrom(page.text)
      const statuses: number[] = []
      for (let i = 0; i < 4; i++) {
        const response = await agent
          .post('/sign-in')
          .type('form')
          .send({ _csrf: token, email: 'someone@example.org', password: 'wrong-password' })
        statuses.push(response.status)
        if (response.status === 429) {
          expect(errorSummaryOf(response.text)[0]).toMatch(/Too many sign-in attempts/)
          expect(response.text).toContain('value="someone@example.org"')
        }
      }
      expect(statuses).toEqual([401, 401, 401, 429])
      context.clock.advance(15 * 60_000 + 1000)
      const later = await agent
        .post('/sign-in')
        .type('form')
        .send({ _csrf: token, email: 'someone@example.org', password: 'wrong-password' })
      expect(later.status).toBe(401)
    } finally {
      await context.close()
    }
  })
})
