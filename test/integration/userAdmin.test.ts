import request from 'supertest'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { timestamp } from '../../server/db/values'
import { csrfFrom, errorSummaryOf, signIn, submitForm, type Agent } from '../helpers/session'

describe('user management by an ICS lead', () => {
  let context: TestContext
  let lead: Agent

  beforeEach(async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000' } })
    lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
  })
  afterEach(() => context.close())

  async function userId(email: string): Promise<number> {
    return ((await context.db('users').where({ email }).first('id')) as { id: number }).id
  }

  it('lists the ICS’s users with their roles and last sign-in', async () => {
    const page = await lead.get('/admin/users')
    expect(page.status).toBe(200)
    for (const name of ['Morgan Ellis', 'Priya Shah', 'Sam Taylor', 'Alex Morgan']) expect(page.text).toContain(name)
    expect(page.text).toContain('Partner respondent – Wirral Council')
    expect(page.text).toContain('Never')
    expect(page.text).toMatch(/22 November 2026 at \d\d:\d\d/)
  })

  it('ends a deactivated user’s live session at once, and they cannot sign in again', async () => {
    const partner = await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
    expect((await partner.get('/home')).status).toBe(200)
    const id = await userId('partner.wirral.council@example.org')
    const response = await submitForm(lead, `/admin/users/${id}`, `/admin/users/${id}/deactivate`, {})
    expect(response.status).toBe(303)
    expect((await partner.get('/home')).status).toBe(303)
    await expect(signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)).rejects.toThrow(/401/)
    expect((await lead.get(`/admin/users/${id}`)).text).toContain('Deactivated')

    await submitForm(lead, `/admin/users/${id}`, `/admin/users/${id}/reactivate`, {})
    await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
    const kinds = (await context
      .db('audit_events')
      .where({ subject_id: String(id) })
      .pluck('kind')) as string[]
    expect(kinds).toEqual(expect.arrayContaining(['user.deactivated', 'user.reactivated']))
  })

  it('cannot deactivate themself', async () => {
    const id = await userId('ics.lead@example.org')
    const response = await submitForm(lead, `/admin/users/${id}`, `/admin/users/${id}/deactivate`, {})
    expect(response.status).toBe(400)
    expect(errorSummaryOf(response.text)).toEqual(['You cannot deactivate your own account'])
  })

  it('changes a role and scope, which applies to the user’s next request', async () => {
    const viewer = await signIn(context.app, 'board.viewer@example.org', testDemoPassword)
    const id = await userId('board.viewer@example.org')
    const membership = (await context.db('memberships').where({ user_id: id }).first('id')) as { id: number }
    const sefton = (await context.db('places').where({ name: 'Sefton' }).first('id')) as { id: number }
    const response = await submitForm(lead, `/admin/users/${id}`, `/admin/users/${id}/memberships/${membership.id}`, {
      role: 'place_lead',
      placeId: String(sefton.id),
      organisationId: '',
    })
    expect(response.status).toBe(303)
    expect((await viewer.get('/home')).text).toContain('Place lead – Sefton')
    expect((await viewer.get('/admin/invitations')).status).toBe(200)
    const event = (await context.db('audit_events').where({ kind: 'membership.changed' }).first('details')) as { details: string }
    expect(JSON.parse(event.details)).toMatchObject({ role: 'place_lead', placeId: sefton.id })
  })

  it('changes a membership only at the address of the user it belongs to (hardening finding 11)', async () => {
    const viewerId = await userId('board.viewer@example.org')
    const partnerId = await userId('partner.wirral.council@example.org')
    const viewerMembership = (await context.db('memberships').where({ user_id: viewerId }).first('id', 'role')) as {
      id: number
      role: string
    }
    // The viewer's membership, posted under the partner's address: not found, and nothing changes.
    const response = await submitForm(lead, `/admin/users/${partnerId}`, `/admin/users/${partnerId}/memberships/${viewerMembership.id}`, {
      role: 'ics_lead',
    })
    expect(response.status).toBe(404)
    expect(await context.db('memberships').where({ id: viewerMembership.id }).first('user_id', 'role')).toEqual({
      user_id: viewerId,
      role: viewerMembership.role,
    })
    expect(await context.db('audit_events').where({ kind: 'membership.changed' }).first('id')).toBeUndefined()
  })

  it('rejects a role without its scope, keeping the choice made', async () => {
    const id = await userId('board.viewer@example.org')
    const membership = (await context.db('memberships').where({ user_id: id }).first('id')) as { id: number }
    const response = await submitForm(lead, `/admin/users/${id}`, `/admin/users/${id}/memberships/${membership.id}`, {
      role: 'partner',
      placeId: '',
      organisationId: '',
    })
    expect(response.status).toBe(400)
    expect(errorSummaryOf(response.text)).toEqual(['Select the partner organisation'])
    expect(response.text).toMatch(/value="partner" checked/)
  })
})

describe('the audit trail page', () => {
  let context: TestContext

  beforeAll(async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000' } })
  })
  afterAll(() => context.close())

  it('filters by user, kind and date, and pages through the events', async () => {
    for (let i = 0; i < 55; i++) {
      const agent = request.agent(context.app)
      const page = await agent.get('/sign-in')
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]
      await agent
        .post('/sign-in')
        .type('form')
        .send({ _csrf: token, email: 'partner.wirral.council@example.org', password: `wrong-${i}` })
      context.clock.advance(61 * 60_000)
    }
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const partnerId = ((await context.db('users').where({ email: 'partner.wirral.council@example.org' }).first('id')) as { id: number }).id

    const failures = await lead.get(`/admin/audit?kind=sign-in.failed&user=${partnerId}`)
    expect(failures.text).toContain('55 events')
    expect(failures.text).toContain('Page 2 of 2')
    const second = await lead.get(`/admin/audit?kind=sign-in.failed&user=${partnerId}&page=2`)
    expect((second.text.match(/<tr class="nhsuk-table__row">/g) ?? []).length - 1).toBe(5)

    const successes = await lead.get('/admin/audit?kind=sign-in.succeeded')
    expect(successes.text).toContain('1 event')
    expect(successes.text).toContain('Morgan Ellis')

    const firstDay = await lead.get(`/admin/audit?kind=sign-in.failed&from=2026-11-22&to=2026-11-22`)
    expect(firstDay.text).toMatch(/\b14 events/)

    const bad = await lead.get('/admin/audit?from=2026-13-45')
    expect(bad.status).toBe(400)
    expect(errorSummaryOf(bad.text)).toEqual(['Enter the start date as a real date'])
  })
})

describe('the audit trail’s filter of people', () => {
  let context: TestContext

  beforeAll(async () => {
    context = await createTestContext({ demo: true })
  })
  afterAll(() => context.close())

  const who = (html: string) => {
    const select = /<select[^>]*id="user"[^>]*>([\s\S]*?)<\/select>/.exec(html)![1]!
    return [...select.matchAll(/<option value="([^"]*)"( selected)?>([^<]*)<\/option>/g)].map((m) => ({
      value: m[1],
      text: m[3],
      selected: Boolean(m[2]),
    }))
  }

  it('lists the ICS’s people as they are now, after each change, and keeps the person chosen', async () => {
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const ics = (await context.db('ics').first('id')) as { id: number }
    const first = who((await lead.get('/admin/audit')).text)
    expect(first[0]).toEqual({ value: '', text: 'Anyone', selected: true })
    expect(first.map((o) => o.text)).toContain('Morgan Ellis (ics.lead@example.org)')
    const people = await context
      .db('users')
      .whereIn('id', context.db('memberships').where({ ics_id: ics.id }).select('user_id'))
      .count({ n: '*' })
    expect(first).toHaveLength(Number((people[0] as { n: unknown }).n) + 1)

    const [added] = (await context
      .db('users')
      .insert({ email: 'new.person@example.org', name: 'New Person', is_active: true }, ['id'])) as Array<{ id: number }>
    await context.db('memberships').insert({ user_id: added!.id, role: 'viewer', ics_id: ics.id })
    const viewer = (await context.db('users').where({ email: 'board.viewer@example.org' }).first('id')) as { id: number }
    await context.db('users').where({ id: viewer.id }).update({ name: 'Renamed Viewer' })
    const after = who((await lead.get('/admin/audit')).text).map((o) => o.text)
    expect(after).toContain('New Person (new.person@example.org)')
    expect(after).toContain('Renamed Viewer (board.viewer@example.org)')

    const chosen = who((await lead.get(`/admin/audit?user=${added!.id}`)).text).filter((o) => o.selected)
    expect(chosen).toEqual([{ value: String(added!.id), text: 'New Person (new.person@example.org)', selected: true }])
    await context.db('memberships').where({ user_id: added!.id }).delete()
    expect(who((await lead.get('/admin/audit')).text).map((o) => o.text)).not.toContain('New Person (new.person@example.org)')
  })
})

describe('the users list, a page at a time', () => {
  let context: TestContext

  beforeAll(async () => {
    context = await createTestContext({ demo: true })
    const ics = (await context.db('ics').first('id')) as { id: number }
    // 60 more people, viewers of the ICS, named so that they sort after the demo's own.
    for (let i = 0; i < 60; i++) {
      const [user] = (await context
        .db('users')
        .insert({ email: `zz.person.${i}@example.org`, name: `Zz Person ${String(i).padStart(2, '0')}`, is_active: true }, [
          'id',
        ])) as Array<{ id: number }>
      await context.db('memberships').insert({ user_id: user!.id, role: 'viewer', ics_id: ics.id })
    }
  })
  afterAll(() => context.close())

  const people = (html: string) => [...html.matchAll(/<a href="\/admin\/users\/(\d+)">([^<]*)<\/a>/g)].map((m) => m[2])

  it('shows 50 people a page by name, with their roles, and the way to the next page', async () => {
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const ics = (await context.db('ics').first('id')) as { id: number }
    const everyone = (await context
      .db('users')
      .whereIn('id', context.db('memberships').where({ ics_id: ics.id }).select('user_id'))
      .orderBy([{ column: 'name' }, { column: 'id' }])
      .pluck('name')) as string[]
    expect(everyone.length).toBeGreaterThan(60)

    const first = await lead.get('/admin/users')
    expect(first.status).toBe(200)
    expect(first.text).toContain(`${everyone.length} people, by name. Page 1 of 2.`)
    expect(people(first.text)).toEqual(everyone.slice(0, 50))
    expect(first.text).toContain('Partner respondent – Wirral Council')
    const next = /href="([^"]*page=2)"/.exec(first.text)![1]!.replace(/&amp;/g, '&')
    const second = await lead.get(next)
    expect(people(second.text)).toEqual(everyone.slice(50))
    expect(second.text).toContain('Page 2 of 2')
    expect((second.text.match(/<li>Board viewer<\/li>/g) ?? []).length).toBe(
      everyone.slice(50).filter((n) => n.startsWith('Zz Person')).length,
    )

    // Someone listed on the second page opens as anyone does.
    const last = (await context.db('users').where({ name: 'Zz Person 59' }).first('id')) as { id: number }
    const person = await lead.get(`/admin/users/${last.id}`)
    expect(person.status).toBe(200)
    expect(person.text).toContain('zz.person.59@example.org')
  })
})

describe('the administration tables’ rows, kept as rendered', () => {
  let context: TestContext

  beforeAll(async () => {
    context = await createTestContext({ demo: true })
  })
  afterAll(() => context.close())

  const rowsOf = (html: string) =>
    (/<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '').split('</tr>').filter((row) => row.includes('<td'))

  it('show a person’s new name, a new event and a changed role in rows already seen', async () => {
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const viewer = (await context.db('users').where({ email: 'board.viewer@example.org' }).first('id')) as { id: number }
    await signIn(context.app, 'board.viewer@example.org', testDemoPassword)
    const before = rowsOf((await lead.get('/admin/audit?kind=sign-in.succeeded')).text)
    expect(before.filter((row) => row.includes('board.viewer@example.org'))[0]).toContain('Alex Morgan')
    expect(rowsOf((await lead.get('/admin/users')).text).find((row) => row.includes('board.viewer@example.org'))).toContain('Alex Morgan')

    await context.db('users').where({ id: viewer.id }).update({ name: 'Renamed Viewer' })
    await context.db('memberships').where({ user_id: viewer.id }).update({ role: 'ics_lead', place_id: null })
    context.clock.advance(60_000)
    await signIn(context.app, 'board.viewer@example.org', testDemoPassword)
    const after = rowsOf((await lead.get('/admin/audit?kind=sign-in.succeeded')).text)
    expect(after).toHaveLength(before.length + 1)
    const viewersRows = after.filter((row) => row.includes('board.viewer@example.org'))
    expect(viewersRows).toHaveLength(2)
    for (const row of viewersRows) expect(row).toContain('Renamed Viewer')
    const usersRow = rowsOf((await lead.get('/admin/users')).text).find((row) => row.includes('board.viewer@example.org'))!
    expect(usersRow).toContain('Renamed Viewer')
    expect(usersRow).toContain('<li>ICS lead</li>')
  })

  it('show an invitation’s new status, and each session’s own form token in its buttons', async () => {
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const secondLead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const page = await lead.get('/admin/invitations')
    await lead
      .post('/admin/invitations')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), name: 'Kept Row', email: 'kept.row@example.org', role: 'viewer' })
    const rowOf = (html: string) => rowsOf(html).find((row) => row.includes('kept.row@example.org'))!
    const tokensIn = (row: string) => [...row.matchAll(/name="_csrf" value="([^"]+)"/g)].map((m) => m[1])
    const [first, second] = [(await lead.get('/admin/invitations')).text, (await secondLead.get('/admin/invitations')).text]
    expect(rowOf(first)).toContain('Waiting')
    expect(tokensIn(rowOf(first))).toEqual([csrfFrom(first), csrfFrom(first)])
    expect(tokensIn(rowOf(second))).toEqual([csrfFrom(second), csrfFrom(second)])
    expect(csrfFrom(first)).not.toBe(csrfFrom(second))

    const id = ((await context.db('invitations').where({ email: 'kept.row@example.org' }).first('id')) as { id: number }).id
    const revoked = await secondLead
      .post(`/admin/invitations/${id}/revoke`)
      .type('form')
      .send({ _csrf: tokensIn(rowOf(second))[1] })
    expect(revoked.status).toBe(303)
    const after = rowOf((await lead.get('/admin/invitations')).text)
    expect(after).toContain('Revoked')
    expect(tokensIn(after)).toEqual([])
  })

  it('show an e-mail’s new delivery state in a row already seen', async () => {
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const [mail] = (await context.db('outbox').orderBy('id', 'desc').limit(1).select('id', 'to_address')) as Array<{
      id: number
      to_address: string
    }>
    const rowOf = async () => rowsOf((await lead.get('/admin/outbox')).text).find((row) => row.includes(`/admin/outbox/${mail!.id}"`))!
    await context.db('outbox').where({ id: mail!.id }).update({ sent_at: null, failed_at: null, attempts: 0 })
    expect(await rowOf()).toContain('Held in the outbox')
    await context.db('outbox').where({ id: mail!.id }).update({ attempts: 1, last_error: 'Mailbox busy' })
    expect(await rowOf()).toContain('1 try failed (Mailbox busy)')
    await context
      .db('outbox')
      .where({ id: mail!.id })
      .update({ sent_at: timestamp(new Date(Date.UTC(2026, 10, 23, 9, 5))) })
    expect(await rowOf()).toContain('Sent 23 November 2026 at 09:05')
  })
})
