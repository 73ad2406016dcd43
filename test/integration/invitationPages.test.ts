import { timestamp } from '../../server/db/values'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { signIn } from '../helpers/session'

describe('the invitations page, a page at a time', () => {
  let context: TestContext

  beforeAll(async () => {
    context = await createTestContext({ demo: true })
    const db = context.db
    const ics = (await db('ics').first('id')) as { id: number }
    const wirral = (await db('places').where({ slug: 'wirral' }).first('id')) as { id: number }
    const halton = (await db('places').where({ slug: 'halton' }).first('id')) as { id: number }
    // Only these invitations: the demo's own (to Wirral's contacts) are removed first.
    await db('invitations').delete()
    // 60 invitations a minute apart: Wirral's partners on even minutes, Halton's on odd ones.
    await db('invitations').insert(
      Array.from({ length: 60 }, (_, i) => {
        const at = timestamp(new Date(Date.UTC(2026, 10, 1, 9, i)))
        return {
          email: `invitee.${i}@example.org`,
          name: `Invitee ${String(i).padStart(2, '0')}`,
          role: 'partner',
          ics_id: ics.id,
          place_id: i % 2 === 0 ? wirral.id : halton.id,
          created_at: at,
          last_sent_at: at,
        }
      }),
    )
  })
  afterAll(() => context.close())

  const invitees = (html: string) => [...html.matchAll(/<span>Invitee (\d\d)<br>/g)].map((m) => Number(m[1]))

  it('shows an ICS lead 50 invitations a page, newest first, with the way to the next', async () => {
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const first = await lead.get('/admin/invitations')
    expect(first.text).toContain('60 invitations, newest first. Page 1 of 2.')
    expect(invitees(first.text)).toEqual(Array.from({ length: 50 }, (_, i) => 59 - i))
    const next = /href="([^"]*page=2)"/.exec(first.text)![1]!.replace(/&amp;/g, '&')
    const second = await lead.get(next)
    expect(invitees(second.text)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    expect(second.text).toContain('Page 2 of 2')
  })

  it('counts and pages only a place lead’s own place', async () => {
    const placeLead = await signIn(context.app, 'place.lead.wirral@example.org', testDemoPassword)
    const page = await placeLead.get('/admin/invitations')
    expect(page.text).toContain('30 invitations, newest first.')
    expect(invitees(page.text)).toEqual(Array.from({ length: 30 }, (_, i) => 58 - 2 * i))
  })
})

describe('the invitation form’s place and organisation lists', () => {
  let context: TestContext

  beforeAll(async () => {
    context = await createTestContext({ demo: true })
  })
  afterAll(() => context.close())

  /** The options of a select on the page, as [value, text, selected]. */
  const options = (html: string, id: string) => {
    const select = new RegExp(`<select[^>]*id="${id}"[^>]*>([\\s\\S]*?)</select>`).exec(html)![1]!
    return [...select.matchAll(/<option value="([^"]*)"( selected)?>([^<]*)<\/option>/g)].map((m) => [m[1], m[3], Boolean(m[2])])
  }
  const names = (html: string, id: string) => options(html, id).map(([, text]) => text)

  it('lists the ICS’s places and organisations as they are now, after each change, and only a place lead’s own', async () => {
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const placeLead = await signIn(context.app, 'place.lead.wirral@example.org', testDemoPassword)
    const places = (await context.db('places').orderBy('name').pluck('name')) as string[]
    const first = await lead.get('/admin/invitations')
    expect(names(first.text, 'placeId')).toEqual(['Choose a place', ...places])
    expect(names(first.text, 'organisationId')).toContain('Wirral Council')
    expect(names(first.text, 'organisationId')).toContain('Halton Borough Council')

    // The place lead, after the lead (the same ICS and data): their place's organisations only.
    const own = await placeLead.get('/admin/invitations')
    expect(names(own.text, 'placeId')).toEqual(['Choose a place', 'Wirral'])
    expect(names(own.text, 'organisationId')).toContain('Wirral Council')
    expect(names(own.text, 'organisationId')).not.toContain('Halton Borough Council')

    const wirral = (await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }
    await context.db('organisations').insert({ place_id: wirral.id, name: 'Wirral Hospice St John’s', kind: 'voluntary' })
    await context.db('places').where({ slug: 'halton' }).update({ name: 'Halton and Runcorn' })
    const after = await lead.get('/admin/invitations')
    expect(names(after.text, 'organisationId')).toContain('Wirral Hospice St John’s')
    expect(names(after.text, 'placeId')).toContain('Halton and Runcorn')
    expect(names(after.text, 'placeId')).not.toContain('Halton')
    expect(names((await placeLead.get('/admin/invitations')).text, 'organisationId')).toContain('Wirral Hospice St John’s')
  })

  it('keeps the place chosen when the invitation is refused', async () => {
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const page = await lead.get('/admin/invitations')
    const wirral = (await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!
    const refused = await lead
      .post(/action="(\/admin\/invitations\?ics=\d+)"/.exec(page.text)![1]!)
      .type('form')
      .send({ _csrf: token, name: 'No Email', email: '', role: 'place_lead', placeId: String(wirral.id), organisationId: '' })
    expect(refused.status).toBe(400)
    expect(options(refused.text, 'placeId').filter(([, , selected]) => selected)).toEqual([[String(wirral.id), 'Wirral', true]])
    // The next blank form chooses nothing again.
    expect(options((await lead.get('/admin/invitations')).text, 'placeId').filter(([, , selected]) => selected)).toEqual([
      ['', 'Choose a place', true],
    ])
  })
})
