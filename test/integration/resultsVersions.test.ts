import type { Knex } from 'knex'
import { ResultsVersionData } from '../../server/data/resultsVersion'
import { isPostgres, type Database } from '../../server/db/connection'
import { timestamp } from '../../server/db/values'
import { demoIcs } from '../../server/demo/demoData'
import { ResultsReadModel } from '../../server/results'
import { createTestContext, type TestContext } from '../helpers/app'

/**
 * The results version (migrations/20261203_009_results_versions.ts) is what every cache of results
 * is checked against, so every write to anything the read model reads must move it. These tests
 * walk every table the read model reads (found from the SQL it runs, not from a list) and every
 * kind of write to each, and check that only the ICS the row belongs to moves (or every ICS, for
 * the tables they share).
 */
describe('results versions', () => {
  let context: TestContext
  let db: Database
  let demoId: number
  let otherId: number
  /** Every table the read model reads, with the columns of users it reads. */
  let readTables: Set<string>
  let userColumns: Set<string>

  const versionOf = async (executor: Knex | Knex.Transaction, icsId: number): Promise<number> =>
    Number(((await executor('results_versions').where({ ics_id: icsId }).first('version')) as { version: number | string }).version)

  beforeAll(async () => {
    context = await createTestContext({ demo: true })
    db = context.db
    demoId = ((await db('ics').where({ slug: demoIcs.slug }).first('id')) as { id: number }).id
    // Another ICS with nothing in it: no write to the demo's rows may move its version.
    const [other] = (await db('ics').insert({ name: 'Another ICS', slug: 'another-ics', created_at: timestamp() }, ['id'])) as Array<{
      id: number
    }>
    otherId = other!.id

    const queries: string[] = []
    const record = (q: { sql: string }) => queries.push(q.sql)
    db.on('query', record)
    try {
      const rounds = await new ResultsReadModel(db, context.clock.now).acrossIcs(demoId)
      // The demo's rounds have places, returns, decisions and plans: the read model read every kind of row.
      expect(rounds.length).toBeGreaterThan(1)
    } finally {
      db.off('query', record)
    }
    readTables = new Set(queries.flatMap((sql) => [...sql.matchAll(/\b(?:from|join)\s+[`"]?([a-z_]+)[`"]?/gi)].map((m) => m[1]!)))
    userColumns = new Set(queries.flatMap((sql) => [...sql.matchAll(/[`"]u[`"]\.[`"]([a-z_]+)[`"]/g)].map((m) => m[1]!)))
  })
  afterAll(() => context.close())

  /** The tables that have a results-version trigger, and for which writes. */
  async function triggers(): Promise<Map<string, Set<string>>> {
    const found = new Map<string, Set<string>>()
    const add = (table: string, event: string) => found.set(table, (found.get(table) ?? new Set()).add(event.toLowerCase()))
    if (isPostgres(db)) {
      const rows = (await db('information_schema.triggers')
        .where('trigger_name', 'like', 'results_version%')
        .select('event_object_table', 'event_manipulation')) as Array<{ event_object_table: string; event_manipulation: string }>
      for (const row of rows) add(row.event_object_table, row.event_manipulation)
    } else {
      const rows = (await db('sqlite_master')
        .where({ type: 'trigger' })
        .where('name', 'like', 'results_version%')
        .select('tbl_name', 'sql')) as Array<{
        tbl_name: string
        sql: string
      }>
      for (const row of rows) add(row.tbl_name, /\bafter\s+(insert|update|delete)\b/i.exec(row.sql)![1]!)
    }
    return found
  }

  it('has every table the read model reads move the version on every insert, update and delete', async () => {
    const found = await triggers()
    // Sanity: the SQL was read (the read model reads at least these).
    for (const table of ['rounds', 'answers', 'place_positions', 'moderations', 'delegation_decisions', 'development_actions'])
      expect(readTables).toContain(table)
    for (const table of readTables) {
      // Of people, the read model reads only their names (who submitted, moderated, decided), and ids never change.
      if (table === 'users') {
        expect([...userColumns].sort()).toEqual(['id', 'name'])
        expect(found.get('users')).toEqual(new Set(['update']))
        continue
      }
      expect([table, [...(found.get(table) ?? [])].sort()]).toEqual([table, ['delete', 'insert', 'update']])
    }
  })

  it('gives a new ICS a version', async () => {
    expect(await versionOf(db, otherId)).toBe(0)
  })

  /** Primary keys of the tables without an id column. */
  const keys: Record<string, string[]> = {
    round_places: ['round_id', 'place_id'],
    place_positions: ['place_return_id', 'criterion_id'],
    moderations: ['place_return_id', 'criterion_id'],
    response_domains: ['response_id', 'domain_code'],
  }
  const shared = new Set(['frameworks', 'framework_versions', 'framework_domains', 'framework_criteria', 'users'])

  it("moves the version of the row's ICS, and no other, on an update, a delete and an insert of each ICS's table", async () => {
    const perIcs = [...readTables].filter((t) => !shared.has(t))
    expect(perIcs.length).toBeGreaterThanOrEqual(10)
    for (const table of perIcs) {
      // Every change below is undone: the demo's rows are needed for the next table.
      await db
        .transaction(async (trx) => {
          const row = (await trx(table).first()) as Record<string, unknown>
          expect([table, row]).toEqual([table, expect.anything()])
          const key = Object.fromEntries((keys[table] ?? ['id']).map((column) => [column, row[column]]))
          // A column other than the key's, if there is one (round_places is all key).
          const column = Object.keys(row).find((c) => !(keys[table] ?? ['id']).includes(c)) ?? Object.keys(row)[0]!
          const step = async (what: string, write: () => Promise<unknown>) => {
            const [before, otherBefore] = [await versionOf(trx, demoId), await versionOf(trx, otherId)]
            await write()
            // PostgreSQL moves the version at commit (migration 013): fire what is pending now, as a commit would.
            if (isPostgres(db)) await trx.raw('set constraints all immediate')
            expect([table, what, (await versionOf(trx, demoId)) > before]).toEqual([table, what, true])
            expect([table, what, await versionOf(trx, otherId)]).toEqual([table, what, otherBefore])
          }
          // Even an update that writes the same value: the database cannot tell what the read model looks at.
          await step('update', () =>
            trx(table)
              .where(key)
              .update({ [column]: row[column] }),
          )
          await step('delete', () => trx(table).where(key).delete())
          await step('insert', () => trx(table).insert(row))
          throw new Error('undo')
        })
        .catch((error: Error) => {
          if (error.message !== 'undo') throw error
        })
    }
  })

  it("moves every ICS's version on a write to the frameworks, and on a change of someone's name", async () => {
    const step = async (what: string, write: () => Promise<unknown>, moves = true) => {
      const [demoBefore, otherBefore] = [await versionOf(db, demoId), await versionOf(db, otherId)]
      await write()
      expect([what, (await versionOf(db, demoId)) > demoBefore, (await versionOf(db, otherId)) > otherBefore]).toEqual([what, moves, moves])
    }
    // A framework with a version, a domain and a criterion (copies of the demo's), written, changed and removed.
    const copy = async (table: string, changes: Record<string, unknown>) => {
      const { id: _id, ...row } = (await db(table).first()) as Record<string, unknown>
      const [inserted] = (await db(table).insert({ ...row, ...changes }, ['id'])) as Array<{ id: number }>
      return inserted!.id
    }
    let framework = 0
    let version = 0
    let domain = 0
    let criterion = 0
    await step('insert frameworks', async () => (framework = await copy('frameworks', { slug: 'another-framework' })))
    await step(
      'insert framework_versions',
      async () => (version = await copy('framework_versions', { framework_id: framework, content_hash: 'x'.repeat(64) })),
    )
    await step('insert framework_domains', async () => (domain = await copy('framework_domains', { version_id: version })))
    await step(
      'insert framework_criteria',
      async () => (criterion = await copy('framework_criteria', { version_id: version, domain_id: domain })),
    )
    await step('update frameworks', () => db('frameworks').where({ id: framework }).update({ title: 'Renamed' }))
    await step('update framework_versions', () => db('framework_versions').where({ id: version }).update({ version_label: 'v9' }))
    await step('update framework_domains', () => db('framework_domains').where({ id: domain }).update({ title: 'Renamed' }))
    await step('update framework_criteria', () => db('framework_criteria').where({ id: criterion }).update({ title: 'Renamed' }))
    await step('delete framework_criteria', () => db('framework_criteria').where({ id: criterion }).delete())
    await step('delete framework_domains', () => db('framework_domains').where({ id: domain }).delete())
    await step('delete framework_versions', () => db('framework_versions').where({ id: version }).delete())
    await step('delete frameworks', () => db('frameworks').where({ id: framework }).delete())

    const user = (await db('users').orderBy('id').first('id', 'name')) as { id: number; name: string }
    await step('rename a user', () => db('users').where({ id: user.id }).update({ name: 'Someone Else' }))
    await step('sign-in time', () => db('users').where({ id: user.id }).update({ last_sign_in_at: timestamp() }), false)
    await step('same name', () => db('users').where({ id: user.id }).update({ name: 'Someone Else' }), false)
    await db('users').where({ id: user.id }).update({ name: user.name })
  })

  // PostgreSQL only: SQLite has one connection and one writer at a time, so its writers never hold rows concurrently.
  const onPostgres = process.env.TEST_DATABASE_URL !== undefined && process.env.TEST_DATABASE_URL !== ''
  ;(onPostgres ? it : it.skip)(
    'lets two writers of one ICS each take rows the other will want, without a deadlock (the version moves at commit)',
    async () => {
      // A's first write is an organisation's answer; B then writes that organisation's response, and A
      // wants the same response. Had A's first write taken the ICS's version until its commit, B would
      // wait for it while holding the response A waits for: a deadlock, and one of them refused.
      const answer = (await db('answers as a')
        .join('responses as r', 'r.id', 'a.response_id')
        .join('rounds as rd', 'rd.id', 'r.round_id')
        .where('rd.ics_id', demoId)
        .first('a.id', 'a.response_id', 'a.evidence')) as { id: number; response_id: number; evidence: string | null }
      const before = await versionOf(db, demoId)
      const a = await db.transaction()
      const b = await db.transaction()
      try {
        const bProcess = ((await b.raw('select pg_backend_pid() as pid')) as { rows: Array<{ pid: number }> }).rows[0]!.pid
        await a('answers').where({ id: answer.id }).update({ evidence: answer.evidence })
        // B takes the response; it would then wait for the version if A held it (PostgreSQL reports a deadlock after a second).
        let bDone = false
        const bWrites = b('responses')
          .where({ id: answer.response_id })
          .update({ updated_at: timestamp() })
          .then(() => (bDone = true))
        const bWaitsForALock = async () => {
          const waiting = (await db.raw("select count(*) as n from pg_stat_activity where pid = ? and wait_event_type = 'Lock'", [
            bProcess,
          ])) as { rows: Array<{ n: string }> }
          return Number(waiting.rows[0]!.n) > 0
        }
        while (!bDone && !(await bWaitsForALock())) await new Promise((resolve) => setTimeout(resolve, 10))
        const aWrites = a('responses').where({ id: answer.response_id }).update({ updated_at: timestamp() })
        // Whichever of them PostgreSQL would refuse for a deadlock, the refusal ends the wait (a refused A keeps its locks until rolled back).
        await Promise.race([bWrites, aWrites.then(() => new Promise<never>(() => undefined))])
        await b.commit()
        await aWrites
        await a.commit()
      } catch (error) {
        await Promise.allSettled([a.rollback(), b.rollback()])
        throw error
      }
      expect(await versionOf(db, demoId)).toBeGreaterThanOrEqual(before + 2)
    },
  )

  it('reads the version in one query by key', async () => {
    const expected = String(await versionOf(db, demoId))
    const queries: string[] = []
    const record = (q: { sql: string }) => queries.push(q.sql)
    db.on('query', record)
    try {
      expect(await new ResultsVersionData(db).forIcs(demoId)).toBe(expected)
    } finally {
      db.off('query', record)
    }
    expect(queries).toHaveLength(1)
    expect(await new ResultsVersionData(db).forIcs(999_999)).toBe('')
  })
})
