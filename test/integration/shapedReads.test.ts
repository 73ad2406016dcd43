import { idParams, idsOf, shapedReads, type ShapedParams } from '../../server/data/shapedReads'
import type { Database } from '../../server/db/connection'
import { createTestDatabase, type TestDatabase } from '../helpers/database'

describe('shapedReads: a list query compiled once per shape, run with new parameters', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase()
    const now = new Date().toISOString()
    await database.db('users').insert(
      ['Ada', 'Bo', 'Cy', 'Di', 'Ed'].map((name, i) => ({
        email: `${name.toLowerCase()}@example.org`,
        name,
        password_hash: 'x',
        is_active: i % 2 === 0,
        created_at: now,
      })),
    )
  })
  afterAll(() => database.destroy())

  it('compiles each shape once and gives what knex built afresh gives, for any ids, filter and page', async () => {
    const { db } = database
    const ids = (await db('users').orderBy('id').pluck('id')) as number[]
    let builds = 0
    const reads = shapedReads<{ name: string }>(10)
    const query = (db: Database, ids: Array<string | number>, activeOnly: boolean, page: number) => {
      const q = db('users').whereIn('id', ids)
      if (activeOnly) q.where({ is_active: true })
      return q
        .orderBy('name')
        .limit(2)
        .offset((page - 1) * 2)
        .select('name')
    }
    const read = (chosen: number[], activeOnly: boolean, page: number) => {
      const params: ShapedParams = idParams('user', chosen)
      return reads(params, `${activeOnly}:${page}`, (db, params) => {
        builds++
        return query(db, idsOf('user', params), activeOnly, page)
      })(db, params)
    }
    const cases: Array<[number[], boolean, number]> = [
      [ids.slice(0, 3), false, 1],
      [ids.slice(2, 5), false, 1],
      [ids.slice(0, 3), false, 2],
      [ids.slice(0, 3), true, 1],
      [ids.slice(1, 5), true, 1],
      [ids.slice(1, 4), true, 1],
      [ids.slice(0, 5), false, 3],
    ]
    for (const [chosen, activeOnly, page] of cases)
      expect(await read(chosen, activeOnly, page)).toEqual(await query(db, chosen, activeOnly, page))
    // Shapes: three ids on pages 1 and 2, three active, four active, five on page 3.
    expect(builds).toBe(5)
  })

  it('reads ids back from their parameters in order, and only those with the prefix', () => {
    const params = { ...idParams('ics', [7, 3]), user: 5, ...idParams('place', [9]) }
    expect(params).toEqual({ ics0: 7, ics1: 3, user: 5, place0: 9 })
    expect(idsOf('ics', params)).toEqual([7, 3])
    expect(idsOf('place', params)).toEqual([9])
    expect(idsOf('user', params)).toEqual([])
  })
})
