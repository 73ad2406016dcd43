import { KnexTimeoutError } from 'knex'
import { SingleConnectionPool } from '../../server/db/sqliteClient'

/** A pool over a stand-in connection, counting how often it was opened and closed. */
function poolOf(options: { acquireTimeoutMillis?: number; failOpening?: number } = {}) {
  const counts = { opened: 0, closed: 0 }
  let failuresLeft = options.failOpening ?? 0
  const pool = new SingleConnectionPool({
    create: async () => {
      if (failuresLeft > 0) {
        failuresLeft -= 1
        throw new Error('cannot open the database file')
      }
      counts.opened += 1
      return { connection: counts.opened }
    },
    destroy: () => {
      counts.closed += 1
    },
    acquireTimeoutMillis: options.acquireTimeoutMillis ?? 60_000,
  })
  return { pool, counts }
}

/** Whether a promise has settled by the time everything already queued has run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  promise.then(
    () => (done = true),
    () => (done = true),
  )
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

describe('SQLite’s one connection, lent to one caller at a time', () => {
  it('opens the connection when first asked, once, and lends it again as soon as it is back', async () => {
    const { pool, counts } = poolOf()
    const first = await pool.acquire().promise
    expect(first).toEqual({ connection: 1 })
    expect(pool.release(first)).toBe(true)
    const again = await pool.acquire().promise
    expect(again).toBe(first)
    expect(counts.opened).toBe(1)
    pool.release(again)
    await pool.destroy()
  })

  it('makes the others wait while it is lent, and lends it to them in the order they asked', async () => {
    const { pool } = poolOf()
    const connection = await pool.acquire().promise
    const order: string[] = []
    const second = pool.acquire().promise.then((c) => (order.push('second'), c))
    const third = pool.acquire().promise.then((c) => (order.push('third'), c))
    expect(await settled(second)).toBe(false)
    pool.release(connection)
    const lentToSecond = await second
    expect(await settled(third)).toBe(false)
    pool.release(lentToSecond)
    pool.release(await third)
    expect(order).toEqual(['second', 'third'])
    await pool.destroy()
  })

  it('refuses to take back a connection that is not the one lent, or one already returned', async () => {
    const { pool } = poolOf()
    const connection = await pool.acquire().promise
    expect(pool.release({ connection: 99 })).toBe(false)
    expect(pool.release(connection)).toBe(true)
    expect(pool.release(connection)).toBe(false)
    await pool.destroy()
  })

  it('gives up on a caller who waited longer than the acquire timeout, with knex’s timeout error, and serves the next', async () => {
    const { pool } = poolOf({ acquireTimeoutMillis: 20 })
    const connection = await pool.acquire().promise
    await expect(pool.acquire().promise).rejects.toBeInstanceOf(KnexTimeoutError)
    const later = pool.acquire().promise
    pool.release(connection)
    expect(await later).toBe(connection)
    pool.release(connection)
    await pool.destroy()
  })

  it('passes an error opening the database to whoever was waiting, and tries again for the next caller', async () => {
    const { pool, counts } = poolOf({ failOpening: 1 })
    const waiting = [pool.acquire().promise, pool.acquire().promise]
    for (const result of await Promise.allSettled(waiting)) {
      expect(result.status).toBe('rejected')
      expect((result as PromiseRejectedResult).reason).toEqual(new Error('cannot open the database file'))
    }
    const connection = await pool.acquire().promise
    expect(counts.opened).toBe(1)
    pool.release(connection)
    await pool.destroy()
  })

  it('closes the connection only once it is back, after serving those already waiting, and lends nothing after', async () => {
    const { pool, counts } = poolOf()
    const connection = await pool.acquire().promise
    const waiting = pool.acquire().promise
    const destroyed = pool.destroy()
    expect(await settled(destroyed)).toBe(false)
    await expect(pool.acquire().promise).rejects.toThrow(/being closed/)
    pool.release(connection)
    expect(await waiting).toBe(connection)
    expect(counts.closed).toBe(0)
    pool.release(connection)
    await destroyed
    expect(counts.closed).toBe(1)
  })
})
