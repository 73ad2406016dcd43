import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { countRows } from '../helpers/counts'
import { errorSummaryOf, signIn, submitForm, type Agent } from '../helpers/session'

/**
 * Findings 7, 8 and 10 of the hardening issue, through the one schema per form: impossible
 * values refused (dates that do not exist, a decision before its round, statuses that are
 * not statuses), lengths limited everywhere and the `next` redirect checked, and every message
 * written for a person, never zod's own wording.
 */

/** zod's default wording, which no person should ever be shown. */
const machineWording = /Invalid input|expected (string|number)|received|Too big|Too small|9007199254740991|Invalid option|NaN/

describe('form rules', () => {
  let context: TestContext
  let lead: Agent
  let ids: { currentRound: number; baselineRound: number; wirral: number; council: number }

  beforeAll(async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000', TOKEN_RATE_LIMIT: '1000' } })
    // By opening: the baseline, then the current round (the demo's next round, set up early, comes last).
    const rounds = (await context.db('rounds').orderBy('opens_at').select('id')) as Array<{ id: number }>
    ids = {
      baselineRound: rounds[0]!.id,
      currentRound: rounds[1]!.id,
      wirral: ((await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }).id,
      council: ((await context.db('organisations').where({ name: 'Wirral Council' }).first('id')) as { id: number }).id,
    }
    lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
  })
  afterAll(() => context.close())

  const auditDetails = async () =>
    ((await context.db('audit_events').select('details')) as Array<{ details: string | null }>).map((e) => e.details ?? '').join('\n')

  describe('impossible values (finding 7)', () => {
    const decision = (date: { day: string; month: string; year: string }) => ({
      decisionLevel: '2',
      decisionRationale: 'Agreed at the ICB Board.',
      'decidedOn-day': date.day,
      'decidedOn-month': date.month,
      'decidedOn-year': date.year,
      decidingBody: 'ICB Board',
      differenceReason: 'The board judged the place ready sooner.',
    })
    const decisionCount = () => countRows(context.db, 'delegation_decisions')

    it.each([
      ['year 0', { day: '1', month: '11', year: '0' }],
      ['a blank year', { day: '1', month: '11', year: '' }],
      ['a two-digit year', { day: '1', month: '11', year: '26' }],
      ['31 February', { day: '31', month: '2', year: '2027' }],
    ])('refuses a decision dated with %s, saving nothing', async (_name, date) => {
      const base = `/rounds/${ids.currentRound}/places/${ids.wirral}`
      const before = await decisionCount()
      const response = await submitForm(lead, base, `${base}/decision`, decision(date))
      expect(response.status).toBe(400)
      expect(errorSummaryOf(response.text)).toContain('Enter the date of the decision as a real date')
      expect(await decisionCount()).toBe(before)
    })

    it('refuses a decision dated before its round opened, and takes one dated after', async () => {
      const base = `/rounds/${ids.currentRound}/places/${ids.wirral}`
      const before = await decisionCount()
      const early = await submitForm(lead, base, `${base}/decision`, decision({ day: '12', month: '1', year: '2022' }))
      expect(early.status).toBe(400)
      expect(errorSummaryOf(early.text)).toEqual(['The date of the decision must be on or after the day the round opened, 8 November 2026'])
      expect(await decisionCount()).toBe(before)
      const onTime = await submitForm(lead, base, `${base}/decision`, decision({ day: '20', month: '11', year: '2026' }))
      expect(onTime.status).toBe(303)
      const saved = (await context
        .db('delegation_decisions')
        .where({ round_id: ids.currentRound, place_id: ids.wirral })
        .first('decided_on')) as {
        decided_on: string
      }
      expect(saved.decided_on).toBe('2026-11-20')
    })

    const action = (fields: Record<string, string>) => ({
      criterionCode: 'DD1',
      description: 'Agree a pooled budget for community services',
      ownerOrganisationId: '',
      dueDate: '2027-03-31',
      status: 'not_started',
      ...fields,
    })

    it.each([
      ['a due date of 31 February', { dueDate: '2027-02-31' }, 'Enter the due date as a real date'],
      ['a due date in year 0', { dueDate: '0000-11-01' }, 'Enter the due date as a real date'],
      ['the status constructor', { status: 'constructor' }, 'Select the status'],
      ['the status __proto__', { status: '__proto__' }, 'Select the status'],
      ['the status toString', { status: 'toString' }, 'Select the status'],
    ])('refuses a plan action with %s, saving nothing', async (_name, fields, message) => {
      const before = await countRows(context.db, 'development_actions')
      const response = await submitForm(lead, `/places/${ids.wirral}`, `/places/${ids.wirral}/actions`, action(fields))
      expect(response.status).toBe(400)
      expect(errorSummaryOf(response.text)).toEqual([message])
      expect(response.text).not.toContain('function Object()')
      expect(await countRows(context.db, 'development_actions')).toBe(before)
    })
  })

  describe('length limits and the next address (finding 8)', () => {
    it('refuses a deciding body of 150,000 characters, keeping it out of the decision and the audit trail', async () => {
      const base = `/rounds/${ids.currentRound}/places/${ids.wirral}`
      const body = 'B'.repeat(150_000)
      const response = await submitForm(lead, base, `${base}/decision`, {
        decisionLevel: '2',
        decisionRationale: 'Agreed at the ICB Board.',
        'decidedOn-day': '21',
        'decidedOn-month': '11',
        'decidedOn-year': '2026',
        decidingBody: body,
        differenceReason: 'Reason',
      })
      expect(response.status).toBe(400)
      expect(errorSummaryOf(response.text)).toEqual(['Deciding body must be 200 characters or fewer'])
      expect(await auditDetails()).not.toContain('B'.repeat(201))
    })

    it('refuses a reason of 100,000 characters for reopening a place return or a response', async () => {
      const reason = 'R'.repeat(100_000)
      const placeBase = `/rounds/${ids.baselineRound}/places/${ids.wirral}`
      const place = await submitForm(lead, placeBase, `${placeBase}/return/reopen`, { reason })
      expect(place.status).toBe(400)
      expect(errorSummaryOf(place.text)).toEqual(['Reason must be 1,000 characters or fewer'])
      const status = (await context.db('place_returns').where({ round_id: ids.baselineRound, place_id: ids.wirral }).first('status')) as {
        status: string
      }
      expect(status.status).toBe('submitted')

      const response = await submitForm(
        lead,
        `/rounds/${ids.baselineRound}/manage`,
        `/rounds/${ids.baselineRound}/organisations/${ids.council}/reopen`,
        { reason },
      )
      expect(response.status).toBe(400)
      expect(await auditDetails()).not.toContain('R'.repeat(1001))
    })

    it.each(['//evil.example', 'https://evil.example/', '../../../admin/users', 'ZZ9'])(
      'goes back to the list after saving a position whose next criterion is %s',
      async (next) => {
        const placeLead = await signIn(context.app, 'place.lead.wirral@example.org', testDemoPassword)
        const base = `/rounds/${ids.currentRound}/places/${ids.wirral}`
        const response = await submitForm(placeLead, `${base}/criteria/DD1`, `${base}/criteria/DD1/position`, {
          level: '3',
          rationale: 'Agreed at the partnership board.',
          evidenceSummary: 'Board minutes',
          next,
        })
        expect(response.status).toBe(303)
        expect(response.headers.location).toBe(`${base}#criterion-DD1`)
      },
    )

    it('goes on to the next criterion when it is one of the round’s', async () => {
      const placeLead = await signIn(context.app, 'place.lead.wirral@example.org', testDemoPassword)
      const base = `/rounds/${ids.currentRound}/places/${ids.wirral}`
      const response = await submitForm(placeLead, `${base}/criteria/DD1`, `${base}/criteria/DD1/position`, {
        level: '3',
        rationale: 'Agreed at the partnership board.',
        next: 'DD2',
      })
      expect(response.headers.location).toBe(`${base}/criteria/DD2`)
    })
  })

  describe('messages written for people (finding 10)', () => {
    const cases: Array<[string, string, string, Record<string, string>, string[]]> = [
      ['sign-in with nothing filled in', '/sign-in', '/sign-in', {}, ['Enter your email address', 'Enter your password']],
      [
        'sign-in with a password of 300 characters',
        '/sign-in',
        '/sign-in',
        { email: 'a@example.org', password: 'p'.repeat(300) },
        ['Password must be 200 characters or fewer'],
      ],
      ['a forgotten password with no e-mail', '/forgotten-password', '/forgotten-password', {}, ['Enter your email address']],
      [
        'a forgotten password with a malformed e-mail',
        '/forgotten-password',
        '/forgotten-password',
        { email: 'not an email' },
        ['Enter an email address in the correct format, like name@example.org'],
      ],
    ]

    it.each(cases)('%s', async (_name, page, action, fields, expected) => {
      const anonymous = (await import('supertest')).default.agent(context.app)
      const response = await submitForm(anonymous, page, action, fields)
      expect(response.status).toBe(400)
      expect(errorSummaryOf(response.text)).toEqual(expected)
    })

    it.each([
      ['an invitation with nothing filled in', {}],
      [
        'an invitation whose place id is too large for a number',
        { name: 'A', email: 'a@example.org', role: 'place_lead', placeId: '99999999999999999999' },
      ],
      ['an invitation with an unknown role', { name: 'A', email: 'a@example.org', role: 'superuser' }],
    ])('%s', async (_name, fields) => {
      const response = await submitForm(lead, '/admin/invitations', '/admin/invitations', fields)
      expect(response.status).toBe(400)
      const messages = errorSummaryOf(response.text)
      expect(messages.length).toBeGreaterThan(0)
      for (const message of messages) expect(message).not.toMatch(machineWording)
    })

    it('a role change whose organisation id is too large for a number', async () => {
      const viewer = (await context.db('users').where({ email: 'board.viewer@example.org' }).first('id')) as { id: number }
      const membership = (await context.db('memberships').where({ user_id: viewer.id }).first('id')) as { id: number }
      const response = await submitForm(lead, `/admin/users/${viewer.id}`, `/admin/users/${viewer.id}/memberships/${membership.id}`, {
        role: 'partner',
        organisationId: '99999999999999999999',
      })
      expect(response.status).toBe(400)
      expect(errorSummaryOf(response.text)).toEqual(['Select the partner organisation'])
    })

    const reason = 'Board moved'
    it.each([
      ['letters for the day', { 'until-day': 'abc', 'until-month': '12', 'until-year': '2026', reason }],
      ['a year too large for a number', { 'until-day': '1', 'until-month': '12', 'until-year': '99999999999999999999', reason }],
      ['day 0', { 'until-day': '0', 'until-month': '12', 'until-year': '2026', reason }],
      ['a day of 1.5', { 'until-day': '1.5', 'until-month': '12', 'until-year': '2026', reason }],
      ['nothing at all', {}],
    ])('an extension with %s', async (_name, fields) => {
      const response = await submitForm(lead, `/rounds/${ids.currentRound}/manage`, `/rounds/${ids.currentRound}/extend`, fields)
      expect(response.status).toBe(400)
      const messages = errorSummaryOf(response.text)
      expect(messages).toContain('Enter the new deadline as a real date')
      for (const message of messages) expect(message).not.toMatch(machineWording)
      if (!('reason' in fields)) expect(messages).toContain('Enter the reason')
    })
  })
})
