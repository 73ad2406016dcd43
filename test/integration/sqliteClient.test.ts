import { isPostgres } from '../../server/db/connection'
import { SingleConnectionPool } from '../../server/db/sqliteClient'
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

/**
 * On SQLite, the one connection is lent by the client's own pool (SingleConnectionPool), not
 * knex's: a query made while a transaction holds it waits for the transaction to end, and then
 * sees what it committed (or not, if it rolled back). On PostgreSQL, as ever, it does not wait.
 */
describe('the connection, while a transaction holds it', () => {
  let database: TestDatabase
  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(() => database.destroy())

  const count = async () => Number(((await database.db('ics').count({ n: '*' }).first()) as { n: number | string }).n)

  it.each([
    ['committed', true],
    ['rolled back', false],
  ])('a read waits for a transaction that is then %s, and sees its outcome', async (_outcome, commits) => {
    const { db } = database
    if (!isPostgres(db)) expect((db.client as unknown as { pool: unknown }).pool).toBeInstanceOf(SingleConnectionPool)
    const before = await count()
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let inserted!: () => void
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve))
    const transaction = db
      .transaction(async (trx) => {
        await trx('ics').insert({ name: `Held ${String(commits)}`, slug: `held-${String(commits)}`, created_at: new Date().toISOString() })
        inserted()
        await held
        if (!commits) throw new Error('rolled back on purpose')
      })
      .catch(() => undefined)
    await insertedYet
    const read = count()
    let readDone = false
    void read.then(() => (readDone = true))
    await new Promise((resolve) => setTimeout(resolve, 20))
    if (!isPostgres(db)) expect(readDone).toBe(false)
    release()
    await transaction
    // PostgreSQL's read did not wait, and saw nothing uncommitted.
    expect(await read).toBe(!isPostgres(db) && commits ? before + 1 : before)
  })
})
