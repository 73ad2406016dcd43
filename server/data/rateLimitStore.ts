import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit'
import type { Database } from '../db/connection'
import { timestamp, toDate } from '../db/values'

/**
 * express-rate-limit counters in the database, so a limit holds across every instance.
 * One upsert per hit: a window that has ended starts again at 1.
 */
export class DatabaseRateLimitStore implements Store {
  private windowMs = 60_000
  readonly localKeys = false

  constructor(
    private readonly db: Database,
    readonly prefix: string,
    private readonly clock: () => Date,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs
  }

  private key(key: string): string {
    return `${this.prefix}:${key}`
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const row = (await this.db('rate_limits').where({ key: this.key(key) }).first('hits', 'reset_at')) as
      | { hits: number; reset_at: unknown }
      | undefined
    if (!row || toDate(row.reset_at) <= this.clock()) return undefined
    return { totalHits: row.hits, resetTime: toDate(row.reset_at) }
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const now = timestamp(this.clock())
    const resetAt = timestamp(new Date(this.clock().getTime() + this.windowMs))
    const [row] = (await this.db('rate_limits')
      .insert({ key: this.key(key), hits: 1, reset_at: resetAt })
      .onConflict('key')
      .merge({
        hits: this.db.raw('case when rate_limits.reset_at <= ? then 1 else rate_limits.hits + 1 end', [now]),
        reset_at: this.db.raw('case when rate_limits.reset_at <= ? then ? else rate_limits.reset_at end', [now, resetAt]),
      })
      .returning(['hits', 'reset_at'])) as Array<{ hits: number; reset_at: unknown }>
    return { totalHits: row!.hits, resetTime: toDate(row!.reset_at) }
  }

  async decrement(key: string): Promise<void> {
    await this.db('rate_limits')
      .where({ key: this.key(key) })
      .where('hits', '>', 0)
      .update({ hits: this.db.raw('hits - 1') })
  }

  async resetKey(key: string): Promise<void> {
    await this.db('rate_limits').where({ key: this.key(key) }).delete()
  }
}
