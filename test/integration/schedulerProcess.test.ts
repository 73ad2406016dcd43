import { prepareDatabase } from '../../server/bootstrap'
import { loadConfig } from '../../server/config'
import { timestamp, toDate } from '../../server/db/values'
import { createLogger } from '../../server/logger'
import { createServices } from '../../server/services'
import { createTestDatabase, type TestDatabase } from '../helpers/database'
import { startServerProcess, type ServerProcess, killIfRunning } from '../helpers/serverProcess'

/**
 * The scheduler as the real server runs it: two cluster workers, each with its own timer,
 * on a database whose open round closes in about three days. The reminders go exactly once,
 * from whichever worker holds the lease, and a graceful stop releases the lease.
 */

jest.setTimeout(60_000)

const dayMs = 24 * 60 * 60 * 1000

async function until<T>(what: string, check: () => Promise<T | undefined>, server: ServerProcess): Promise<T> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}. Server output:\n${server.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('the scheduler in the server process', () => {
  let database: TestDatabase
  let server: ServerProcess | undefined

  beforeEach(async () => {
    database = await createTestDatabase()
  })

  afterEach(async () => {
    await killIfRunning(server)
    server = undefined
    await database.destroy()
  })

  it('with WEB_CONCURRENCY=2 sends each reminder once, from the worker holding the lease, and releases the lease on SIGTERM', async () => {
    const db = database.db
    // The demo, as if seeded 18 days ago: its open round now closes in about three days.
    const config = { ...loadConfig({ NODE_ENV: 'test', DEMO: 'on', DEMO_PASSWORD: 'test-demo-password-42' }), database: database.config }
    const logger = createLogger('silent')
    await prepareDatabase(db, createServices(db, config, logger), config, logger, { now: new Date(Date.now() - 18 * dayMs) })
    const healthwatch = (await db('organisations as o')
      .join('places as p', 'p.id', 'o.place_id')
      .where('o.name', 'Healthwatch Wirral')
      .first('o.id', 'o.place_id', 'p.ics_id')) as { id: number; place_id: number; ics_id: number }
    for (const email of ['hana@healthwatch.example', 'chris@healthwatch.example']) {
      const [user] = (await db('users').insert({ email, name: email, is_active: true, created_at: timestamp() }, ['id'])) as Array<{
        id: number
      }>
      await db('memberships').insert({
        user_id: user!.id,
        role: 'partner',
        ics_id: healthwatch.ics_id,
        place_id: healthwatch.place_id,
        organisation_id: healthwatch.id,
        created_at: timestamp(),
      })
    }

    server = await startServerProcess(database, { WEB_CONCURRENCY: '2', REMINDER_INTERVAL_SECONDS: '1' })
    const reminders = async () =>
      (await db('outbox').where('subject', 'like', 'Reminder:%').orderBy('to_address').pluck('to_address')) as string[]
    await until('the reminders', async () => ((await reminders()).length >= 3 ? true : undefined), server)

    // Let the holder renew its lease twice more (two more ticks of the job), and the other worker tick meanwhile.
    const lease = async () =>
      (await db('job_leases').where({ name: 'reminders' }).first('holder', 'expires_at')) as { holder: string; expires_at: unknown }
    const first = await lease()
    let renewals = 0
    let last = toDate(first.expires_at).getTime()
    await until(
      'two renewals of the lease',
      async () => {
        const now = await lease()
        if (toDate(now.expires_at).getTime() > last) {
          renewals++
          last = toDate(now.expires_at).getTime()
        }
        expect(now.holder).toBe(first.holder)
        return renewals >= 2 ? true : undefined
      },
      server,
    )

    expect(await reminders()).toEqual(['chris@healthwatch.example', 'hana@healthwatch.example', 'partner.wirral.council@example.org'])
    // About three days before the deadline: the 7-day or the 3-day reminder, by the time of day, the same for both.
    // The job's reminders, not the demo's own (sent earlier, in the baseline and by hand).
    const logged = (await db('reminder_log')
      .where({ kind: 'scheduled' })
      .where('sent_at', '>', timestamp(new Date(Date.now() - 60 * 60 * 1000)))
      .orderBy('organisation_id')
      .select('kind', 'days_before', 'recipients')) as Array<{
      kind: string
      days_before: number
      recipients: number
    }>
    expect(logged.map((l) => [l.kind, l.recipients])).toEqual([
      ['scheduled', 1],
      ['scheduled', 2],
    ])
    expect([7, 3]).toContain(logged[0]!.days_before)
    expect(logged[1]!.days_before).toBe(logged[0]!.days_before)
    const sentBy = server.logs.filter((line) => line.msg === 'Deadline reminders sent')
    expect(sentBy).toHaveLength(1)
    expect(sentBy[0]).toMatchObject({ organisations: 2, mails: 3, holder: first.holder })
    // The holder is one of the two workers (host:pid:random), not the primary.
    const workers = new Set(server.logs.filter((line) => line.msg === 'Worker listening' && line.worker).map((line) => line.worker))
    expect(workers.size).toBe(2)
    expect(workers.has(Number(first.holder.split(':')[1]))).toBe(true)

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(await db('job_leases').select()).toEqual([])
  })
})
