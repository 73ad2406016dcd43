import type { Express } from 'express'
import request from 'supertest'
import type { ReminderData } from '../../server/data/reminders'
import { isPostgres } from '../../server/db/connection'
import { LeaseStore } from '../../server/data/leases'
import type { ReminderRunResult } from '../../server/services/reminderService'
import { Scheduler } from '../../server/jobs/scheduler'
import { createLogger } from '../../server/logger'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { csrfFrom, errorSummaryOf, formFieldsOf } from '../helpers/session'
import { addPartner } from '../helpers/users'

/**
 * Two app instances on one database, each with its own connection pool, as behind a load
 * balancer without sticky sessions. On SQLite they share the file; under `npm run test:pg`
 * they are two pools on one PostgreSQL database, the real multi-instance deployment.
 */

const dayMs = 24 * 60 * 60 * 1000

/** A browser whose requests may go to any instance: it keeps its cookies itself. */
class Browser {
  private readonly cookies = new Map<string, string>()

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  private keep(response: request.Response): request.Response {
    const setCookie = response.headers['set-cookie'] as unknown as string[] | undefined
    for (const cookie of setCookie ?? []) {
      const [pair] = cookie.split(';')
      const at = pair!.indexOf('=')
      this.cookies.set(pair!.slice(0, at), pair!.slice(at + 1))
    }
    return response
  }

  async get(app: Express, path: string): Promise<request.Response> {
    return this.keep(await request(app).get(path).set('Cookie', this.cookieHeader()))
  }

  async post(app: Express, path: string, form: Record<string, string>, json = false): Promise<request.Response> {
    const post = request(app).post(path).type('form').set('Cookie', this.cookieHeader())
    if (json) post.set('Accept', 'application/json')
    return this.keep(await post.send(form))
  }
}

describe('two instances on one database', () => {
  let context: TestContext
  let a: Express
  let b: Express

  afterEach(async () => {
    await context.close()
  })

  it('share sessions and CSRF tokens: signed in on one, a user is signed in on the other, and signs out of both at once', async () => {
    context = await createTestContext({ demo: true })
    a = context.app
    b = context.anotherInstance()
    const browser = new Browser()

    // The sign-in form comes from A, the sign-in goes to B: the CSRF token lives in the shared session.
    const form = await browser.get(a, '/sign-in')
    const signedIn = await browser.post(b, '/sign-in', {
      _csrf: csrfFrom(form.text),
      email: 'partner.wirral.council@example.org',
      password: testDemoPassword,
    })
    expect(signedIn.status).toBe(303)
    expect(signedIn.headers.location).toBe('/home')

    for (const app of [a, b]) {
      const home = await browser.get(app, '/home')
      expect(home.status).toBe(200)
      expect(home.text).toContain('Sam Taylor')
    }

    // An answer saved through A from a page B rendered, and read back through B.
    const roundId = ((await context.db('rounds').orderBy('id', 'desc').first('id')) as { id: number }).id
    const organisationId = ((await context.db('organisations').where({ name: 'Wirral Council' }).first('id')) as { id: number }).id
    const domainPath = `/rounds/${roundId}/organisations/${organisationId}/domains/AV`
    const page = await browser.get(b, domainPath)
    expect(page.status).toBe(200)
    const saved = await browser.post(
      a,
      domainPath,
      {
        ...formFieldsOf(page.text, '<form method="post" action="/rounds/'),
        _csrf: csrfFrom(page.text),
        action: 'save',
        'evidence-AV1': 'Saved through instance A.',
      },
      true,
    )
    expect(saved.status).toBe(200)
    expect((await browser.get(b, domainPath)).text).toContain('Saved through instance A.')

    // Signing out on B ends the session on A too.
    const home = await browser.get(b, '/home')
    expect((await browser.post(b, '/sign-out', { _csrf: csrfFrom(home.text) })).status).toBe(303)
    const after = await browser.get(a, '/home')
    expect(after.status).toBe(303)
    expect(after.headers.location).toMatch(/^\/sign-in|^\/signed-out/)
  })

  it('count sign-in attempts together: the limit holds across instances', async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '3' } })
    a = context.app
    b = context.anotherInstance()
    const browser = new Browser()
    const token = csrfFrom((await browser.get(a, '/sign-in')).text)
    const attempt = (app: Express) =>
      browser.post(app, '/sign-in', { _csrf: token, email: 'partner.wirral.council@example.org', password: 'not-the-password' })

    const statuses = [(await attempt(a)).status, (await attempt(a)).status, (await attempt(b)).status]
    expect(statuses).toEqual([401, 401, 401])
    const limited = await attempt(b)
    expect(limited.status).toBe(429)
    expect(errorSummaryOf(limited.text)[0]).toMatch(/Too many sign-in attempts/)
    expect((await attempt(a)).status).toBe(429)
    // Even the right password waits out the window.
    const right = await browser.post(a, '/sign-in', {
      _csrf: token,
      email: 'partner.wirral.council@example.org',
      password: testDemoPassword,
    })
    expect(right.status).toBe(429)
  })

  it('behind a load balancer (TRUST_PROXY=true), count attempts by the address it saw, not one the client wrote', async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '2', TRUST_PROXY: 'true' } })
    a = context.app
    b = context.anotherInstance()
    const browser = new Browser()
    const token = csrfFrom((await browser.get(a, '/sign-in')).text)
    // The load balancer appends the address it saw; anything before it came from the client.
    const attempt = (app: Express, forwardedFor: string) =>
      request(app)
        .post('/sign-in')
        .type('form')
        .set('Cookie', browser.cookieHeader())
        .set('X-Forwarded-For', forwardedFor)
        .send({ _csrf: token, email: 'partner.wirral.council@example.org', password: 'not-the-password' })
    expect((await attempt(a, '10.0.0.1, 203.0.113.9')).status).toBe(401)
    expect((await attempt(b, '10.0.0.2, 203.0.113.9')).status).toBe(401)
    expect((await attempt(a, '10.0.0.3, 203.0.113.9')).status).toBe(429)
    // Someone else, at another address, is not held back.
    expect((await attempt(b, '198.51.100.7')).status).toBe(401)
  })

  it('hand the reminder job to exactly one scheduler at a time, and to the other once the holder’s lease expires', async () => {
    context = await createTestContext({ demo: true })
    await addPartner(context, 'hana@healthwatch.example', 'Healthwatch Wirral', 'Hana Patel')
    const other = context.anotherInstanceWithServices()
    const logger = createLogger('silent')
    const interval = 5 * 60_000
    const schedulerA = new Scheduler({
      leases: new LeaseStore(context.db, context.clock.now),
      jobs: [{ name: 'reminders', run: (log) => context.services.reminders.run(log) }],
      intervalMs: interval,
      logger,
      holder: 'instance-a',
    })
    const schedulerB = new Scheduler({
      leases: new LeaseStore(other.db, context.clock.now),
      jobs: [{ name: 'reminders', run: (log) => other.services.reminders.run(log) }],
      intervalMs: interval,
      logger,
      holder: 'instance-b',
    })

    // Six days before the deadline, both tick at the same moment: one runs the job.
    const deadline = new Date('2026-12-13T17:00:00Z')
    context.clock.set(new Date(deadline.getTime() - 6 * dayMs))
    const [ranA, ranB] = await Promise.all([schedulerA.tick(), schedulerB.tick()])
    expect([...ranA, ...ranB]).toEqual(['reminders'])
    const holder = ranA.length === 1 ? 'instance-a' : 'instance-b'
    const [winner, loser] = holder === 'instance-a' ? [schedulerA, schedulerB] : [schedulerB, schedulerA]
    const lease = await new LeaseStore(context.db, context.clock.now).find('reminders')
    expect(lease?.holder).toBe(holder)
    const mails = async () =>
      (await context.db('outbox').where('subject', 'like', 'Reminder:%').orderBy('to_address').pluck('to_address')) as string[]
    expect(await mails()).toEqual(['hana@healthwatch.example', 'partner.wirral.council@example.org'])

    // The holder keeps it while it ticks; the other never runs the job meanwhile.
    for (let i = 0; i < 3; i++) {
      context.clock.advance(interval)
      const [w, l] = await Promise.all([winner.tick(), loser.tick()])
      expect([w, l]).toEqual([['reminders'], []])
    }

    // The holder dies without releasing its lease: after two intervals the other takes over.
    context.clock.advance(interval)
    expect(await loser.tick()).toEqual([])
    context.clock.advance(interval)
    expect(await loser.tick()).toEqual(['reminders'])
    expect((await new LeaseStore(context.db, context.clock.now).find('reminders'))?.holder).not.toBe(holder)
    // And nobody was reminded twice.
    expect(await mails()).toEqual(['hana@healthwatch.example', 'partner.wirral.council@example.org'])
  })

  it('send each reminder once when both run the reminder job at once: the one that records it first sends it', async () => {
    context = await createTestContext({ demo: true })
    await addPartner(context, 'hana@healthwatch.example', 'Healthwatch Wirral', 'Hana Patel')
    await addPartner(context, 'chris@healthwatch.example', 'Healthwatch Wirral', 'Chris Okoro')
    const other = context.anotherInstanceWithServices()
    context.clock.set(new Date(new Date('2026-12-13T17:00:00Z').getTime() - 3 * dayMs))
    const sent = async () =>
      (await context.db('outbox').where('subject', 'like', 'Reminder:%').orderBy('to_address').pluck('to_address')) as string[]

    // B finds the reminders due; before it records them, A runs the whole job. B's view is
    // now stale: recording finds them taken, so B sends nothing.
    const data = (other.services.reminders as unknown as { data: ReminderData }).data
    const due = data.notSubmitted.bind(data)
    let first: ReminderRunResult | undefined
    jest.spyOn(data, 'notSubmitted').mockImplementationOnce(async (...args) => {
      const found = await due(...args)
      first = await context.services.reminders.run()
      return found
    })
    const second = await other.services.reminders.run()
    expect(first).toEqual({ organisations: 2, mails: 3 })
    expect(second).toEqual({ organisations: 0, mails: 0 })
    expect(await sent()).toEqual(['chris@healthwatch.example', 'hana@healthwatch.example', 'partner.wirral.council@example.org'])

    if (isPostgres(context.db)) {
      // On PostgreSQL the two pools can also run it truly at the same moment (on SQLite two
      // pools in one thread cannot both hold a transaction open; separate processes can, as in
      // schedulerProcess.test.ts). The final reminders go once too.
      context.clock.set(new Date(new Date('2026-12-13T17:00:00Z').getTime() - 12 * 60 * 60 * 1000))
      const both = await Promise.all([context.services.reminders.run(), other.services.reminders.run()])
      expect(both.reduce((sum, r) => sum + r.mails, 0)).toBe(3)
      expect(((await context.db('outbox').where('subject', 'like', 'Final reminder:%').pluck('to_address')) as string[]).sort()).toEqual([
        'chris@healthwatch.example',
        'hana@healthwatch.example',
        'partner.wirral.council@example.org',
      ])
    }
  })
})
