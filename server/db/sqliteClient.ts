import { createRequire } from 'node:module'
import { KnexTimeoutError, type Knex } from 'knex'

/**
 * knex's better-sqlite3 client, with two changes: its one connection is lent by
 * SingleConnectionPool (below) rather than knex's pool, and LIMIT and OFFSET are written into the
 * SQL as integers instead of bound as parameters.
 *
 * Why: SQLite's query planner may use a LIMIT's value, so a statement whose LIMIT or OFFSET is a
 * bound parameter is marked to be prepared again whenever that parameter is bound
 * (sqlite3ExprIsInteger → sqlite3VdbeSetVarmask). knex binds them (`.first()` is `limit ?`), so
 * every such statement was parsed and planned again on every run, even from the prepared-statement
 * cache: 35–45 µs more for the one-row read of a round, an organisation and its response, five
 * times the read itself. As literals, the cached statement is reused as it is.
 *
 * knex has already made the value an integer (`limit(value)` and `offset(value)` keep
 * `parseInt(value)`); anything that is not a safe integer is still bound. PostgreSQL keeps
 * knex's own client: it has no such cost.
 */

/** The part of knex's (untyped) query compiler this relies on. */
interface QueryCompiler {
  single: Record<string, unknown>
  _getValueOrParameterFromAttribute(attribute: string, rawValue?: unknown): string
}
type QueryCompilerClass = new (client: Knex.Client, builder: unknown, formatter: unknown) => QueryCompiler
type ClientClass = new (config: Knex.Config) => Knex.Client

// knex's dialects are plain JavaScript inside the package, without types of their own.
const load = createRequire(__filename)
const BetterSqlite3Client = load('knex/lib/dialects/better-sqlite3') as ClientClass
const SqliteQueryCompiler = load('knex/lib/dialects/sqlite3/query/sqlite-querycompiler') as QueryCompilerClass

class LiteralLimitQueryCompiler extends SqliteQueryCompiler {
  override _getValueOrParameterFromAttribute(attribute: string, rawValue?: unknown): string {
    if (attribute === 'limit' || attribute === 'offset') {
      const value = rawValue ?? this.single[attribute]
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
    }
    return super._getValueOrParameterFromAttribute(attribute, rawValue)
  }
}

/** What knex's pool settings give a pool: how to open and close a connection, and how long a caller may wait. */
interface PoolSettings {
  create(): Promise<unknown>
  destroy(connection: unknown): unknown
  acquireTimeoutMillis: number
}

interface Waiter {
  resolve(connection: unknown): void
  reject(error: unknown): void
  /** When it gives up waiting (performance.now()). */
  deadline: number
}

/**
 * SQLite's one connection (better-sqlite3 runs statements synchronously, so one is all a process
 * can use), lent to one caller at a time, in the order they asked: a transaction keeps it until it
 * ends, and everyone else waits for it (up to knex's acquire timeout).
 *
 * Why not knex's own pool (tarn): lending the connection through it set up a timeout timer and a
 * validation for every query, 7–9 µs each time (a page makes three to five queries), which is
 * several times what SQLite takes to run most of them. Here a connection that is free is handed
 * over at once; callers that have to wait (under load, most of those during another request's
 * query) are given up on by one timer that looks at the longest-waiting every so often, rather
 * than a timer each. The connection is opened when first asked for and closed by `destroy`, as
 * knex's pool does with `min: 1, max: 1`.
 */
export class SingleConnectionPool {
  private connection: unknown
  private opening: Promise<void> | undefined
  private lent = false
  private readonly waiting: Waiter[] = []
  private destroyed = false
  /** Gives up on callers waiting past their deadline; runs only while someone waits. */
  private sweeper: NodeJS.Timeout | undefined
  /** Called when the connection comes back, while `destroy` waits for it. */
  private onReturn: (() => void) | undefined

  constructor(private readonly settings: PoolSettings) {}

  /** As tarn's acquire: `promise` gives the connection once it is this caller's. */
  acquire(): { promise: Promise<unknown> } {
    if (this.destroyed) return { promise: Promise.reject(new Error('aborted: the database is being closed')) }
    if (!this.lent && this.connection !== undefined) {
      this.lent = true
      return { promise: Promise.resolve(this.connection) }
    }
    const promise = new Promise<unknown>((resolve, reject) => {
      this.waiting.push({ resolve, reject, deadline: performance.now() + this.settings.acquireTimeoutMillis })
    })
    this.sweeper ??= setInterval(() => this.giveUpOnLate(), Math.min(1000, this.settings.acquireTimeoutMillis))
    if (this.connection === undefined) this.open()
    return { promise }
  }

  /** As tarn's release: false for a connection that is not the one lent. */
  release(connection: unknown): boolean {
    if (!this.lent || connection !== this.connection) return false
    this.lent = false
    this.lendToNext()
    this.onReturn?.()
    return true
  }

  /** Waits for the connection to come back (callers already waiting are served first), then closes it. */
  async destroy(): Promise<void> {
    this.destroyed = true
    await this.opening
    while (this.lent) await new Promise<void>((resolve) => (this.onReturn = resolve))
    this.onReturn = undefined
    this.rejectAllWaiting(new Error('aborted: the database is being closed'))
    const connection = this.connection
    this.connection = undefined
    if (connection !== undefined) await this.settings.destroy(connection)
  }

  private open(): void {
    this.opening ??= this.settings.create().then(
      (connection) => {
        this.connection = connection
        this.opening = undefined
        this.lendToNext()
      },
      (error: unknown) => {
        // As knex's pool does (propagateCreateError): whoever was waiting gets the error; the next caller tries again.
        this.opening = undefined
        this.rejectAllWaiting(error)
      },
    )
  }

  private lendToNext(): void {
    if (this.lent || this.connection === undefined) return
    const next = this.waiting.shift()
    if (!next) return
    this.lent = true
    next.resolve(this.connection)
  }

  /** Those who asked first have the earliest deadlines: the late are at the front. */
  private giveUpOnLate(): void {
    const now = performance.now()
    while (this.waiting.length > 0 && this.waiting[0]!.deadline <= now)
      this.waiting
        .shift()!
        .reject(
          new KnexTimeoutError(
            'Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?',
          ),
        )
    if (this.waiting.length === 0) {
      clearInterval(this.sweeper)
      this.sweeper = undefined
    }
  }

  private rejectAllWaiting(error: unknown): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(error)
    clearInterval(this.sweeper)
    this.sweeper = undefined
  }
}

/** knex's client's own pool setting-up, which this client replaces. */
interface ClientInternals {
  pool: unknown
  _ownsPool: boolean
  config: Knex.Config
  getPoolSettings(pool: Knex.PoolConfig | undefined): PoolSettings
}

export class SqliteClient extends BetterSqlite3Client {
  override queryCompiler(builder: unknown, formatter?: unknown): QueryCompiler {
    return new LiteralLimitQueryCompiler(this, builder, formatter)
  }

  override initializePool(config: Knex.Config = (this as unknown as ClientInternals).config): void {
    const client = this as unknown as ClientInternals
    if (client.pool) return
    client.pool = new SingleConnectionPool(client.getPoolSettings(config.pool))
    client._ownsPool = true
  }
}
