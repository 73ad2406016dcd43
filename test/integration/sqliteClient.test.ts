import { isPostgres } from '../../server/db/connection'
import { createTestDatabase, type TestDatabase } from '../helpers/database'

/**
 * On SQLite, LIMIT and OFFSET are written into the SQL as integers (server/db/sqliteClient.ts):
 * bound, they make SQLite prepare the statement again on every run. Pages must still be the
 * same rows on both databases.
 */
describe('LIMIT and OFFSET', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase()
    const now = new Date().toISOString()
    await database.db('users').insert(
      Array.from({ length: 12 }, (_, i) => ({
        email: `person${String(i).padStart(2, '0')}@example.org`,
        name: `Person ${i}`,
        password_hash: 'x',
        is_active: true,
        created_at: now,
      })),
    )
  })
  afterAll(() => database.destroy())

  const emails = (rows: Array<{ email: string }>) => rows.map((r) => r.email)

  it('reads the same page of rows on either database', async () => {
    const { db } = database
    const page = (await db('users').orderBy('email').limit(5).offset(5).select('email')) as Array<{ email: string }>
    expect(emails(page)).toEqual(['person05', 'person06', 'person07', 'person08', 'person09'].map((e) => `${e}@example.org`))
    const first = (await db('users').orderBy('email', 'desc').first('email')) as { email: string }
    expect(first.email).toBe('person11@example.org')
    // An offset without a limit: SQLite needs `limit -1` before it.
    expect(emails((await db('users').orderBy('email').offset(10).select('email')) as Array<{ email: string }>)).toEqual([
      'person10@example.org',
      'person11@example.org',
    ])
  })

  // PostgreSQL keeps knex's own client, LIMIT bound.
  it('on SQLite, writes them as integers and binds only the values of the query', () => {
    const { db } = database
    if (isPostgres(db)) return expect(db('users').first('email').toSQL().sql).toMatch(/limit \?$/)
    const first = db('users').where({ email: 'a@example.org' }).first('email').toSQL()
    expect(first.sql).toMatch(/ limit 1$/)
    expect(first.bindings).toEqual(['a@example.org'])
    const paged = db('users').where('id', '>', 3).orderBy('id').limit(25).offset(50).select('id').toSQL()
    expect(paged.sql).toMatch(/ limit 25 offset 50$/)
    expect(paged.bindings).toEqual([3])
    // knex makes a limit given as text an integer first; the SQL still carries only an integer.
    expect(
      db('users')
        .limit('7' as unknown as number)
        .select('id')
        .toSQL().sql,
    ).toMatch(/ limit 7$/)
    expect(db('users').offset(4).select('id').toSQL().sql).toMatch(/ limit -1 offset 4$/)
  })
})
