import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { csrfFrom, signIn } from '../helpers/session'
import { toDate } from '../../server/db/values'

/**
 * Finding 4 of the hardening issue: deadlines were stored as 17:00 UTC, so a summer deadline
 * closed at 18:00 UK time while the form said 5pm, and days left were counted in UTC days.
 */
describe('deadlines in London time', () => {
  let context: TestContext
  beforeAll(async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000' } })
  })
  afterAll(() => context.close())

  const rounds = async () =>
    // By opening: the baseline, the current round, then the next round the demo has set up early.
    (await context.db('rounds').orderBy('opens_at').select('id', 'title', 'closes_at', 'extended_until')) as Array<{
      id: number
      title: string
      closes_at: unknown
      extended_until: unknown
    }>

  it('closes the demo baseline at 17:00 London time on 29 October 2021 (BST) and says so', async () => {
    const [baseline] = await rounds()
    expect(toDate(baseline!.closes_at).toISOString()).toBe('2021-10-29T16:00:00.000Z')
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const page = await lead.get('/rounds')
    expect(page.text).toContain('29 October 2021 at 17:00')
    expect(page.text).not.toContain('at 18:00')
    // The open round says Open, the baseline Closed.
    expect(page.text.match(/nhsuk-tag--blue">Open<\/strong>/g)).toHaveLength(1)
    expect(page.text.match(/>Closed<\/strong>/g)).toHaveLength(1)
  })

  it('extends a round to 17:00 London time on a summer day, closes it then, and counts London days', async () => {
    const [, current] = await rounds()
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const manage = await lead.get(`/rounds/${current!.id}/manage`)
    const extended = await lead
      .post(`/rounds/${current!.id}/extend`)
      .type('form')
      .send({ _csrf: csrfFrom(manage.text), 'until-day': '15', 'until-month': '7', 'until-year': '2027', reason: 'Summer recess' })
    expect(extended.status).toBe(303)
    const after = (await rounds())[1]!
    expect(toDate(after.extended_until).toISOString()).toBe('2027-07-15T16:00:00.000Z')
    expect((await lead.get(`/rounds/${current!.id}/manage`)).text).toContain('15 July 2027 at 17:00')

    // 00:30 on 14 July in London (23:30 UTC on 13 July): one London day to go, not two.
    context.clock.set(new Date('2027-07-13T23:30:00Z'))
    const partner = await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
    const overview = await partner.get('/assessments')
    expect(overview.text).toContain('15 July 2027 at 17:00')
    expect(overview.text).toContain('(1 day left)')

    // 17:30 London time on the day: the round has closed, though it is only 16:30 UTC.
    context.clock.set(new Date('2027-07-15T16:30:00Z'))
    const late = await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
    expect((await late.get('/assessments')).text).toContain('Closed')
  })
})

describe('the demo seeded in summer', () => {
  it('sets the open round’s deadline at 17:00 London time, 21 days on', async () => {
    const context = await createTestContext({ demo: true, now: new Date('2026-06-10T10:00:00Z') })
    try {
      const current = (await context.db('rounds').orderBy('id', 'desc').first('title', 'closes_at')) as {
        title: string
        closes_at: unknown
      }
      expect(toDate(current.closes_at).toISOString()).toBe('2026-07-01T16:00:00.000Z')
      expect(current.title).toBe('Place development self-assessment, July 2026')
    } finally {
      await context.close()
    }
  })
})
