import type { Knex } from 'knex'
import { isPostgres, sqliteBusyTimeoutMs, type Database } from './connection'

/** Runs work in a transaction and settles once that transaction has committed (or failed). */
export type Transact = <T>(work: (trx: Knex.Transaction) => Promise<T>) => Promise<T>

/** The most pieces of work committed together: enough to empty a deadline-day queue, few enough to keep each wait short. */
const maxBatch = 64
/**
 * How soon a batch tries again for a write lock another process holds. Other processes hold it
 * for a batch at a time (milliseconds), so a short poll wastes little and loses little time.
 */
const lockRetryMs = 1

interface Pending {
  work: (trx: Knex.Transaction) => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown }
}

interface SqliteConnection {
  pragma(sql: string): unknown
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

/**
 * Group commit for SQLite. Each commit there waits for the disk (synchronous=FULL: the write is
 * flushed before the commit returns), and with better-sqlite3 that wait stops the whole process.
 * So pieces of work that arrive together (a deadline day's autosaves) run one after another in
 * one transaction, and the disk is flushed once for all of them; if one fails (a conflict), the
 * batch runs again with each piece in its own savepoint, so that the failure undoes only itself. Nothing is acknowledged before that commit: each
 * caller's promise settles only once the transaction holding its work has committed, so an
 * acknowledged save is as durable as before, and a crash loses only unacknowledged work, whole.
 *
 * When another process holds the write lock (WEB_CONCURRENCY > 1, or a backup), the batch does
 * not wait for it the way SQLite's busy timeout does, with the event loop stopped: it tries again
 * a moment later, and requests arriving meanwhile are read, checked and queued for the same batch.
 *
 * PostgreSQL commits concurrent transactions on separate connections, so there each piece of work
 * simply gets its own transaction.
 */
export function groupCommit(db: Database): Transact {
  if (isPostgres(db)) return (work) => db.transaction(work)

  const queue: Pending[] = []
  let running = false
  let busySince: number | undefined

  function schedule(delayMs?: number): void {
    if (running) return
    running = true
    // flush settles every piece of work itself, whatever happens, so it never rejects.
    if (delayMs === undefined) setImmediate(() => void flush())
    else setTimeout(() => void flush(), delayMs)
  }

  async function flush(): Promise<void> {
    const batch = queue.splice(0, maxBatch)
    let retryInMs: number | undefined
    try {
      let attempt = await commit(batch, false)
      // One piece of work failed and took the others' with it: again, each in its own savepoint.
      if (attempt === 'isolate') attempt = await commit(batch, true)
      if (attempt === 'busy') {
        queue.unshift(...batch)
        retryInMs = lockRetryMs
      }
    } catch (error) {
      // The connection could not be had or set up: nothing of the batch ran.
      for (const pending of batch) pending.reject(error)
    }
    running = false
    if (retryInMs !== undefined) schedule(retryInMs)
    else if (queue.length > 0) schedule()
  }

  /**
   * Runs the batch in one transaction and settles each piece once it has committed. Savepoints
   * cost two statements a piece, and a piece rarely fails (a conflict), so a batch first runs
   * without them ("isolate" answers that it must run again with them). "busy": another process
   * holds the write lock; nothing ran.
   */
  async function commit(batch: Pending[], isolate: boolean): Promise<'settled' | 'busy' | 'isolate'> {
    for (const pending of batch) pending.outcome = undefined
    const connection = (await db.client.acquireConnection()) as SqliteConnection
    let began = false
    try {
      // Fail at once, rather than wait inside SQLite, if another process holds the write lock.
      connection.pragma('busy_timeout = 0')
      await db.transaction(
        async (trx) => {
          // knex calls this even when BEGIN failed (the lock is taken), outside any transaction.
          if (trx.isCompleted()) return
          began = true
          connection.pragma(`busy_timeout = ${sqliteBusyTimeoutMs}`)
          for (const pending of batch) {
            if (!isolate) {
              pending.outcome = { ok: true, value: await pending.work(trx) }
              continue
            }
            try {
              pending.outcome = { ok: true, value: await trx.transaction(pending.work) }
            } catch (error) {
              pending.outcome = { ok: false, error }
            }
          }
        },
        { connection },
      )
    } catch (error) {
      if (!began && isBusy(error) && Date.now() - (busySince ??= Date.now()) < sqliteBusyTimeoutMs) return 'busy'
      busySince = undefined
      if (began && !isolate && batch.length > 1) return 'isolate'
      // Rolled back: nothing in the transaction was saved, whatever each piece of work returned.
      for (const pending of batch) pending.reject(pending.outcome?.ok === false ? pending.outcome.error : error)
      return 'settled'
    } finally {
      connection.pragma(`busy_timeout = ${sqliteBusyTimeoutMs}`)
      await db.client.releaseConnection(connection)
    }
    busySince = undefined
    for (const pending of batch)
      if (pending.outcome?.ok) pending.resolve(pending.outcome.value)
      else pending.reject(pending.outcome?.error)
    return 'settled'
  }

  return <T>(work: (trx: Knex.Transaction) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
      schedule()
    })
}
