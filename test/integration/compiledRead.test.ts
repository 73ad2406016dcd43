import { compiledRead } from '../../server/db/compiledRead'
import { createTestDatabase, type TestDatabase } from '../helpers/database'

describe('compiledRead: a query compiled once, run with new parameters', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase()
    const now = new Date().toISOString()
    await database.db('users').insert([
      { email: 'ada@example.org', name: 'Ada', password_hash: 'x', is_active: true, created_at: now },
      { email: 'bo@example.org', name: 'Bo', password_hash: 'x', is_active: false, created_at: now },
      { email: 'cy@example.org', name: 'Cy', password_hash: 'x', is_active: true, created_at: now },
    ])
  })
  afterAll(() => database.destroy())

  // A parameter of each type, and values the query fixes itself (`true`, the limit), which must stay in place.
  const activeUsersNamed = compiledRead<{ name: string; minimumId: number }, { email: string }>(
    (db, { name, minimumId }) =>
      db('users')
        .where({ is_active: true })
        .where('name', '>=', name)
        .where('id', '>=', minimumId)
        .orderBy('email')
        .limit(2)
        .select('email'),
    ['name', 'minimumId'],
  )

  it('returns what the same query built afresh returns, for each set of parameters', async () => {
    const { db } = database
    const builtAfresh = async (name: string, minimumId: number) =>
      (await db('users')
        .where({ is_active: true })
        .where('name', '>=', name)
        .where('id', '>=', minimumId)
        .orderBy('email')
        .limit(2)
        .select('email')) as Array<{
        email: string
      }>
    for (const [name, minimumId] of [
      ['A', 0],
      ['B', 0],
      ['Cz', 0],
      ['A', 3],
    ] as const) {
      const rows = await activeUsersNamed(db, { name, minimumId })
      expect(rows).toEqual(await builtAfresh(name, minimumId))
    }
    expect((await activeUsersNamed(db, { name: 'A', minimumId: 0 })).map((r) => r.email)).toEqual(['ada@example.org', 'cy@example.org'])
    expect((await activeUsersNamed(db, { name: 'B', minimumId: 0 })).map((r) => r.email)).toEqual(['cy@example.org'])
  })

  it('gives each row as knex would, every column by name (the last of a name used twice), and leaves the statement to knex as it found it', async () => {
    const { db } = database
    const pairs = compiledRead<{ minimumId: number }, { id: number; email: string; is_active: unknown; created_at: unknown }>(
      (db, { minimumId }) =>
        db('users as a')
          .join('users as b', 'b.id', 'a.id')
          .where('a.id', '>=', minimumId)
          .orderBy('a.id')
          .select('a.id', 'a.email', 'a.is_active', 'a.created_at', 'b.name as email'),
      ['minimumId'],
    )
    const viaKnex = () =>
      db('users as a')
        .join('users as b', 'b.id', 'a.id')
        .where('a.id', '>=', 1)
        .orderBy('a.id')
        .select('a.id', 'a.email', 'a.is_active', 'a.created_at', 'b.name as email')
    const rows = await pairs(db, { minimumId: 1 })
    expect(rows.map((r) => r.email)).toEqual(['Ada', 'Bo', 'Cy'])
    expect(rows).toEqual(await viaKnex())
    // The same SQL run by knex afterwards (the same prepared statement, on SQLite) still gives objects.
    expect((await viaKnex())[0]).toEqual(rows[0])
    expect(Object.keys(rows[0]!)).toEqual(['id', 'email', 'is_active', 'created_at'])
  })

  it('runs inside a transaction and sees its uncommitted writes', async () => {
    const { db } = database
    await db.transaction(async (trx) => {
      await trx('users').where({ email: 'bo@example.org' }).update({ is_active: true })
      expect((await activeUsersNamed(trx, { name: 'B', minimumId: 0 })).map((r) => r.email)).toEqual(['bo@example.org', 'cy@example.org'])
      await trx('users').where({ email: 'bo@example.org' }).update({ is_active: false })
    })
  })

  it('is seen by knex query listeners like any other query', async () => {
    const { db } = database
    const seen: string[] = []
    const record = (q: { sql: string }) => seen.push(q.sql)
    db.on('query', record)
    try {
      await activeUsersNamed(db, { name: 'A', minimumId: 0 })
    } finally {
      db.off('query', record)
    }
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatch(/from ["`]users["`]/)
  })

  it('refuses a query that leaves out a parameter', async () => {
    const unused = compiledRead<{ name: string }, unknown>((db) => db('users').select('email'), ['name'])
    await expect(unused(database.db, { name: 'Ada' })).rejects.toThrow('parameter name is not used')
  })
})
