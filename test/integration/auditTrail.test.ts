import { timestamp } from '../../server/db/values'
import { createTestContext, type TestContext } from '../helpers/app'

describe('the audit trail, page by page', () => {
  let context: TestContext
  let icsId: number
  let otherIcsId: number

  beforeAll(async () => {
    context = await createTestContext()
    const db = context.db
    const now = timestamp(context.clock.now())
    const ids = await Promise.all(
      ['a', 'b'].map(
        async (slug) => ((await db('ics').insert({ name: `ICS ${slug}`, slug, created_at: now }, ['id'])) as Array<{ id: number }>)[0]!.id,
      ),
    )
    icsId = ids[0]!
    otherIcsId = ids[1]!
    const user = async (email: string, ics: number) => {
      const [row] = (await db('users').insert({ email, name: email, created_at: now }, ['id'])) as Array<{ id: number }>
      await db('memberships').insert({ user_id: row!.id, role: 'ics_lead', ics_id: ics, created_at: now })
      return row!.id
    }
    const member = await user('member@example.org', icsId)
    const outsider = await user('outsider@example.org', otherIcsId)
    // Minute by minute: the ICS's own events and its member's sign-ins interleaved, and others' events between.
    const events = []
    for (let minute = 0; minute < 30; minute++) {
      const occurredAt = timestamp(new Date(Date.UTC(2026, 10, 1, 9, minute)))
      const kind = minute % 3
      events.push(
        kind === 0
          ? { occurred_at: occurredAt, actor_user_id: member, ics_id: icsId, kind: 'answer.changed', subject_id: `own ${minute}` }
          : kind === 1
            ? { occurred_at: occurredAt, actor_user_id: member, ics_id: null, kind: 'sign-in.succeeded', subject_id: `sign-in ${minute}` }
            : {
                occurred_at: occurredAt,
                actor_user_id: outsider,
                ics_id: minute % 2 ? otherIcsId : null,
                kind: 'sign-in.succeeded',
                subject_id: `other ${minute}`,
              },
      )
    }
    await db('audit_events').insert(events)
  })
  afterAll(() => context.close())

  it('lists the ICS’s events and its members’ sign-ins, newest first, each once, across pages', async () => {
    const seen: string[] = []
    let total = 0
    for (let page = 1; page <= 6; page++) {
      const result = await context.services.audit.list({ icsIds: [icsId], page, pageSize: 4 })
      total = result.total
      seen.push(...result.events.map((e) => e.subjectId!))
    }
    const expected = Array.from({ length: 30 }, (_, minute) => 29 - minute)
      .filter((minute) => minute % 3 !== 2)
      .map((minute) => (minute % 3 === 0 ? `own ${minute}` : `sign-in ${minute}`))
    expect(total).toBe(20)
    expect(seen).toEqual(expected)
  })

  it('applies the filters to both kinds of event', async () => {
    const signIns = await context.services.audit.list({ icsIds: [icsId], kind: 'sign-in.succeeded', page: 2, pageSize: 4 })
    expect(signIns.total).toBe(10)
    expect(signIns.events.map((e) => e.subjectId)).toEqual(['sign-in 16', 'sign-in 13', 'sign-in 10', 'sign-in 7'])
    const early = await context.services.audit.list({
      icsIds: [icsId],
      before: new Date(Date.UTC(2026, 10, 1, 9, 5)),
      page: 1,
      pageSize: 10,
    })
    expect(early.events.map((e) => e.subjectId)).toEqual(['sign-in 4', 'own 3', 'sign-in 1', 'own 0'])
  })
})
