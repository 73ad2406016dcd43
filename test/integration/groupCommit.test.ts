import { isPostgres } from '../../server/db/connection'
import { groupCommit } from '../../server/db/groupCommit'
import { createTestDatabase, type TestDatabase } from '../helpers/database'

/** better-sqlite3's connection, as far as these tests use it (the package ships no types). */
interface SqliteConnection {
  prepare(sql: string): { run(...bindings: unknown[]): unknown }
}

const names = (rows: Array<{ name: string }>) => rows.map((r) => r.name).sort()

/**
 * Saves and submissions commit in groups (server/db/groupCommit.ts): what arrives together
 * shares one transaction on SQLite, yet each caller hears back only once its own work is
 * committed, and one failure undoes only its own work. On PostgreSQL each gets its own
 * transaction, and the same guarantees hold.
 */
describe('group commit', () => {
  let database: TestDatabase
  beforeEach(async () => {
    database = await createTestDatabase({ migrate: false })
    await database.db.schema.createTable('probe', (t) => {
      t.increments('id')
      t.string('name').notNullable().unique()
    })
  })
  afterEach(async () => {
    await database.destroy()
  })

  it('commits work that arrives together in one transaction on SQLite, and settles each once it is visible to others', async () => {
    const { db } = database
    const transact = groupCommit(db)
    const elsewhere = database.reconnect()
    const statements: string[] = []
    db.on('query', (q: { sql: string }) => statements.push(q.sql))

    const wanted = Array.from({ length: 20 }, (_, i) => `save-${i}`)
    const seenWhenSettled = await Promise.all(
      wanted.map((name) =>
        transact(async (trx) => {
          await trx('probe').insert({ name })
          return name
        }).then(async (returned) => ({
          returned,
          row: (await elsewhere('probe').where({ name }).first('name')) as { name: string } | undefined,
        })),
      ),
    )

    // Each caller gets its own work's result, and by then another connection can read it.
    expect(seenWhenSettled.map((s) => s.returned)).toEqual(wanted)
    expect(seenWhenSettled.every((s) => s.row?.name === s.returned)).toBe(true)
    const begins = statements.filter((sql) => /^begin/i.test(sql)).length
    if (isPostgres(db)) expect(begins).toBe(wanted.length)
    else expect(begins).toBe(1)
  })

  it('undoes only the work that failed, and tells only its caller', async () => {
    const { db } = database
    const transact = groupCommit(db)
    const conflict = new Error('Answers changed since the form was opened')
    const outcomes = await Promise.allSettled([
      transact(async (trx) => trx('probe').insert({ name: 'first' })),
      transact(async (trx) => {
        await trx('probe').insert({ name: 'half-done' })
        throw conflict
      }),
      transact(async (trx) => trx('probe').insert({ name: 'third' })),
      // A constraint broken by the database itself, after the first piece wrote the same name.
      transact(async (trx) => trx('probe').insert({ name: 'first' })),
      transact(async (trx) => trx('probe').insert({ name: 'last' })),
    ])

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'])
    expect((outcomes[1] as PromiseRejectedResult).reason).toBe(conflict)
    expect(String((outcomes[3] as PromiseRejectedResult).reason)).toMatch(/unique/i)
    expect(names((await db('probe').select('name')) as Array<{ name: string }>)).toEqual(['first', 'last', 'third'])
  })

  it('rolls back a lone piece of work that fails', async () => {
    const { db } = database
    const transact = groupCommit(db)
    await expect(
      transact(async (trx) => {
        await trx('probe').insert({ name: 'alone' })
        throw new Error('invalid')
      }),
    ).rejects.toMatchObject({ message: 'invalid' })
    expect(await db('probe').select('name')).toEqual([])
  })

  it("waits for another process's write lock without stopping this one, then commits", async () => {
    const { db } = database
    if (isPostgres(db)) return
    const transact = groupCommit(db)
    // Another process (here, another connection) holds SQLite's write lock.
    const other = database.reconnect()
    const connection = (await other.client.acquireConnection()) as SqliteConnection
    connection.prepare('BEGIN IMMEDIATE').run()
    connection.prepare("INSERT INTO probe (name) VALUES ('theirs')").run()

    let locked = true
    const release = async () => {
      if (!locked) return
      locked = false
      connection.prepare('COMMIT').run()
      await other.client.releaseConnection(connection)
    }
    try {
      let settled = false
      const saving = transact(async (trx) => trx('probe').insert({ name: 'mine' })).then(() => (settled = true))
      // Timers keep firing and reads keep answering while the save waits: the event loop is not
      // held. (Waiting inside SQLite's busy handler would freeze it, and the ticker with it, for
      // the whole busy timeout.)
      let ticks = 0
      const ticker = setInterval(() => ticks++, 1)
      await new Promise((resolve) => setTimeout(resolve, 100))
      clearInterval(ticker)
      expect(ticks).toBeGreaterThan(10)
      expect(settled).toBe(false)
      expect(await db('probe').select('name')).toEqual([])

      await release()
      await saving
    } finally {
      await release()
    }
    expect(names((await db('probe').select('name')) as Array<{ name: string }>)).toEqual(['mine', 'theirs'])
  })
})
