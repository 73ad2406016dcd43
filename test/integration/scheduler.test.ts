import http from 'node:http'
import { LeaseStore } from '../../server/data/leases'
import { loadConfig } from '../../server/config'
import { Scheduler, startBackgroundJobs, type ScheduledJob } from '../../server/jobs/scheduler'
import { installGracefulShutdown } from '../../server/lifecycle'
import { createLogger } from '../../server/logger'
import { createServices } from '../../server/services'
import { TestClock } from '../helpers/app'
import { createTestDatabase, type TestDatabase } from '../helpers/database'

const minute = 60_000
const logger = createLogger('silent')

/** A job that counts its runs and can be held mid-run. */
function countingJob(name = 'reminders') {
  let release: (() => void) | undefined
  const job = {
    name,
    runs: 0,
    hold(): () => void {
      let entered: () => void
      const started = new Promise<void>((resolve) => (entered = resolve))
      const released = new Promise<void>((resolve) => (release = resolve))
      job.run = async () => {
        job.runs++
        entered()
        await released
      }
      return () => void started.then(() => release!())
    },
    run: async (): Promise<unknown> => {
      job.runs++
      return undefined
    },
  }
  return job as ScheduledJob & typeof job
}

describe('leases and the scheduler', () => {
  let database: TestDatabase
  let clock: TestClock
  let leases: LeaseStore

  beforeEach(async () => {
    database = await createTestDatabase()
    clock = new TestClock()
    leases = new LeaseStore(database.db, clock.now)
  })

  afterEach(async () => {
    await database.destroy()
  })

  it('a lease is held by one holder until it expires or is released, and renewed by its holder', async () => {
    expect(await leases.acquire('reminders', 'a', 10 * minute)).toBe(true)
    const taken = await leases.find('reminders')
    expect(taken).toEqual({
      name: 'reminders',
      holder: 'a',
      acquiredAt: clock.now(),
      expiresAt: new Date(clock.now().getTime() + 10 * minute),
    })

    expect(await leases.acquire('reminders', 'b', 10 * minute)).toBe(false)
    // Another job's lease is separate.
    expect(await leases.acquire('other', 'b', 10 * minute)).toBe(true)

    // The holder renews: the expiry moves on, the time it first took the lease stays.
    clock.advance(5 * minute)
    expect(await leases.acquire('reminders', 'a', 10 * minute)).toBe(true)
    expect(await leases.find('reminders')).toEqual({ ...taken, expiresAt: new Date(clock.now().getTime() + 10 * minute) })

    // Just before expiry it is still a's; at expiry b takes it over.
    clock.advance(10 * minute - 1)
    expect(await leases.acquire('reminders', 'b', 10 * minute)).toBe(false)
    clock.advance(1)
    expect(await leases.acquire('reminders', 'b', 10 * minute)).toBe(true)
    expect(await leases.find('reminders')).toMatchObject({ holder: 'b', acquiredAt: clock.now() })
    expect(await leases.acquire('reminders', 'a', 10 * minute)).toBe(false)

    // Only the holder can release it; then anyone can take it at once.
    expect(await leases.release('reminders', 'a')).toBe(false)
    expect(await leases.release('reminders', 'b')).toBe(true)
    expect(await leases.find('reminders')).toBeUndefined()
    expect(await leases.acquire('reminders', 'a', 10 * minute)).toBe(true)
  })

  it('of many holders asking at once on separate connections, exactly one gets the lease', async () => {
    const stores = Array.from({ length: 4 }, () => new LeaseStore(database.reconnect(), clock.now))
    for (let attempt = 0; attempt < 5; attempt++) {
      const results = await Promise.all(stores.map((store, i) => store.acquire(`race-${attempt}`, `holder-${i}`, minute)))
      expect(results.filter(Boolean)).toHaveLength(1)
      const winner = results.indexOf(true)
      expect((await leases.find(`race-${attempt}`))?.holder).toBe(`holder-${winner}`)
    }
  })

  it('a scheduler runs a job only while it holds the job’s lease; another takes over when it stops renewing', async () => {
    const job = countingJob()
    const a = new Scheduler({ leases, jobs: [job], intervalMs: 5 * minute, logger, holder: 'a' })
    const b = new Scheduler({
      leases: new LeaseStore(database.reconnect(), clock.now),
      jobs: [job],
      intervalMs: 5 * minute,
      logger,
      holder: 'b',
    })

    expect(await a.tick()).toEqual(['reminders'])
    expect(await b.tick()).toEqual([])
    // a keeps it by renewing each tick (the lease lasts two intervals).
    clock.advance(5 * minute)
    expect(await b.tick()).toEqual([])
    expect(await a.tick()).toEqual(['reminders'])
    clock.advance(9 * minute)
    expect(await b.tick()).toEqual([])
    expect(job.runs).toBe(2)

    // a goes quiet (its process died): once its lease has expired, b takes over.
    clock.advance(minute)
    expect(await b.tick()).toEqual(['reminders'])
    expect(await a.tick()).toEqual([])
    expect(job.runs).toBe(3)
    expect((await leases.find('reminders'))?.holder).toBe('b')
  })

  it('a failing job is logged and retried at the next tick, and does not stop the other jobs', async () => {
    let failures = 0
    const failing: ScheduledJob = {
      name: 'failing',
      run: async () => {
        failures++
        throw new Error('boom')
      },
    }
    const job = countingJob('after')
    const scheduler = new Scheduler({ leases, jobs: [failing, job], intervalMs: minute, logger, holder: 'a' })
    expect(await scheduler.tick()).toEqual(['after'])
    expect(await scheduler.tick()).toEqual(['after'])
    expect([failures, job.runs]).toEqual([2, 2])
  })

  it('stop() waits for a run in progress, then releases the lease so another instance can take it at once', async () => {
    const job = countingJob()
    const finish = job.hold()
    const a = new Scheduler({ leases, jobs: [job], intervalMs: 5 * minute, logger, holder: 'a' })
    const b = new Scheduler({ leases, jobs: [job], intervalMs: 5 * minute, logger, holder: 'b' })
    const ticking = a.tick()
    // A second tick while one is running joins it rather than running the job again.
    expect(a.tick()).toBe(ticking)
    let stopped = false
    const stopping = a.stop().then(() => (stopped = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(stopped).toBe(false)
    expect((await leases.find('reminders'))?.holder).toBe('a')
    finish()
    await stopping
    expect(await ticking).toEqual(['reminders'])
    expect(await leases.find('reminders')).toBeUndefined()
    expect(await b.tick()).toEqual(['reminders'])
    expect(job.runs).toBe(2)
  })

  it('start() ticks on a timer until stopped', async () => {
    const job = countingJob()
    const scheduler = new Scheduler({ leases, jobs: [job], intervalMs: 5, firstTickMs: 0, logger, holder: 'a' })
    scheduler.start()
    while (job.runs < 3) await new Promise((resolve) => setTimeout(resolve, 5))
    await scheduler.stop()
    const runs = job.runs
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(job.runs).toBe(runs)
    expect(await leases.find('reminders')).toBeUndefined()
  })

  it('a graceful shutdown stops the scheduler, with the database still open, before closing the database', async () => {
    const job = countingJob()
    const finish = job.hold()
    const scheduler = new Scheduler({ leases, jobs: [job], intervalMs: minute, logger, holder: 'a' })
    const ticking = scheduler.tick()
    const server = http.createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const exits: number[] = []
    const graceful = installGracefulShutdown(server, database.db, { draining: false }, logger, {
      signals: [],
      exit: (code) => exits.push(code),
      stopBackgroundWork: () => scheduler.stop(),
    })
    const outcome = graceful.shutdown('test')
    await new Promise((resolve) => setTimeout(resolve, 20))
    // The job is still running, so the database is still open.
    expect(exits).toEqual([])
    expect(await leases.find('reminders')).toMatchObject({ holder: 'a' })
    finish()
    expect(await outcome).toBe(0)
    expect(await ticking).toEqual(['reminders'])
    expect(exits).toEqual([0])
    await expect(database.db.raw('select 1')).rejects.toThrow()
    // The lease was released before the database closed.
    expect(await new LeaseStore(database.reconnect(), clock.now).find('reminders')).toBeUndefined()
  })
})

describe('startBackgroundJobs', () => {
  it('starts the scheduler of reminders and mail retries unless REMINDER_INTERVAL_SECONDS=0', async () => {
    const database = await createTestDatabase()
    try {
      const base = { ...loadConfig({ NODE_ENV: 'test' }), database: database.config }
      const services = createServices(database.db, base, logger)
      expect(startBackgroundJobs({ ...base, reminderIntervalSeconds: 0 }, database.db, services, logger)).toBeUndefined()
      const scheduler = startBackgroundJobs(base, database.db, services, logger)
      expect(scheduler).toBeInstanceOf(Scheduler)
      // Its jobs are the reminders and the retry of failed mail, each under its own lease.
      expect(await scheduler!.tick()).toEqual(['reminders', 'mail-retry'])
      expect((await new LeaseStore(database.db, () => new Date()).find('reminders'))?.holder).toBe(scheduler!.holder)
      expect((await new LeaseStore(database.db, () => new Date()).find('mail-retry'))?.holder).toBe(scheduler!.holder)
      await scheduler!.stop()
    } finally {
      await database.destroy()
    }
  })
})
