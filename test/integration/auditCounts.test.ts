import { down, up } from '../../migrations/20261208_015_audit_counts'
import { isPostgres, type Database } from '../../server/db/connection'
import { timestamp } from '../../server/db/values'
import { createTestContext, type TestContext } from '../helpers/app'

/** The count the database keeps of each ICS's audit events (migration 015), which the audit trail shows. */
describe('the audit trail’s count of an ICS’s events', () => {
  let context: TestContext
  let db: Database
  let icsId: number
  let otherIcsId: number

  const newIcs = async (slug: string) =>
    ((await db('ics').insert({ name: `ICS ${slug}`, slug, created_at: timestamp() }, ['id'])) as Array<{ id: number }>)[0]!.id
  const event = (ics: number | null, kind = 'answer.changed') => ({ occurred_at: timestamp(context.clock.now()), ics_id: ics, kind })
  const counted = async (ics: number) => (await context.services.audit.list({ icsIds: [ics], page: 1, pageSize: 5 })).total
  const actual = async (ics: number) =>
    Number(((await db('audit_events').where({ ics_id: ics }).count({ n: '*' })) as Array<{ n: unknown }>)[0]!.n)

  beforeAll(async () => {
    context = await createTestContext()
    db = context.db
    icsId = await newIcs('a')
    otherIcsId = await newIcs('b')
  })
  afterAll(() => context.close())

  it('starts at none for a new ICS and follows every insert and delete of its events, and only its own', async () => {
    expect(await counted(icsId)).toBe(0)
    await context.services.audit.recordFrom(
      { userId: null, ip: '::1' },
      { kind: 'place.created', icsId, subjectType: 'place', subjectId: 1 },
    )
    expect(await counted(icsId)).toBe(1)
    await context.services.audit.recordMany({ userId: null, ip: undefined }, [
      { kind: 'place.created', icsId },
      { kind: 'place.created', icsId },
      { kind: 'place.created', icsId: otherIcsId },
      { kind: 'sign-in.failed', icsId: null },
    ])
    expect(await counted(icsId)).toBe(3)
    expect(await counted(otherIcsId)).toBe(1)
    // Written by hand, as the national data generator or a fix in the database would.
    await db('audit_events').insert([event(icsId), event(icsId), event(otherIcsId)])
    expect(await counted(icsId)).toBe(5)
    const [newest] = (await db('audit_events').where({ ics_id: icsId }).orderBy('id', 'desc').limit(1).pluck('id')) as number[]
    await db('audit_events').where({ id: newest }).delete()
    expect(await counted(icsId)).toBe(4)
    const moved = (await db('audit_events').where({ ics_id: otherIcsId }).first('id')) as { id: number }
    await db('audit_events').where({ id: moved.id }).update({ ics_id: icsId })
    expect([await counted(icsId), await counted(otherIcsId)]).toEqual([5, 1])
    expect([await counted(icsId), await counted(otherIcsId)]).toEqual([await actual(icsId), await actual(otherIcsId)])
  })

  it('counts nothing of a transaction rolled back', async () => {
    const before = await counted(icsId)
    await expect(
      db.transaction(async (trx) => {
        await context.services.audit.recordMany({ userId: null, ip: undefined }, [{ kind: 'place.created', icsId }], trx)
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    expect(await counted(icsId)).toBe(before)
  })

  it('is right when an event with a lower id commits after one with a higher id (PostgreSQL: ids are not in commit order)', async () => {
    const before = await counted(icsId)
    if (!isPostgres(db)) {
      // SQLite runs one writer at a time, so ids are in commit order; the same events one after the other.
      await db('audit_events').insert(event(icsId))
      await db('audit_events').insert(event(icsId))
      expect(await counted(icsId)).toBe(before + 2)
      return
    }
    const early = await db.transaction()
    const late = await db.transaction()
    try {
      const [lower] = (await early('audit_events').insert(event(icsId), ['id'])) as Array<{ id: number | string }>
      const [higher] = (await late('audit_events').insert(event(icsId), ['id'])) as Array<{ id: number | string }>
      expect(Number(lower!.id)).toBeLessThan(Number(higher!.id))
      await late.commit()
      expect(await counted(icsId)).toBe(before + 1)
      await early.commit()
    } catch (error) {
      await Promise.allSettled([early.rollback(), late.rollback()])
      throw error
    }
    expect(await counted(icsId)).toBe(before + 2)
    expect(await counted(icsId)).toBe(await actual(icsId))
  })

  it('counts the events already there when the migration runs', async () => {
    await down(db)
    await db('audit_events').insert([event(icsId), event(otherIcsId), event(null, 'sign-in.failed')])
    await up(db)
    expect([await counted(icsId), await counted(otherIcsId)]).toEqual([await actual(icsId), await actual(otherIcsId)])
    const third = await newIcs('c')
    expect(await counted(third)).toBe(0)
  })

  it('still counts every event a filter keeps, by reading them', async () => {
    const all = await counted(icsId)
    const filtered = await context.services.audit.list({ icsIds: [icsId], kind: 'answer.changed', page: 1, pageSize: 5 })
    const answers = Number(
      ((await db('audit_events').where({ ics_id: icsId, kind: 'answer.changed' }).count({ n: '*' })) as Array<{ n: unknown }>)[0]!.n,
    )
    expect(filtered.total).toBe(answers)
    expect(answers).toBeLessThan(all)
  })
})
