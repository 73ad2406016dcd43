import type { Database } from '../db/connection'
import { timestamp, toDate } from '../db/values'

export interface Lease {
  name: string
  holder: string
  acquiredAt: Date
  expiresAt: Date
}

/**
 * Named leases in the database: of every instance and worker that asks for a lease, one
 * holds it until it expires or is released. Taking a lease is one conditional upsert, the
 * same statement on SQLite and PostgreSQL, so two instances asking at the same moment cannot
 * both win: the row is inserted if there is none, and otherwise updated only if the lease
 * has expired or is already the asker's (a renewal). RETURNING gives a row only to the winner.
 *
 * Expiry is judged by the askers' clocks, so instances' clocks must agree to well within a
 * lease's lifetime (minutes, against NTP's milliseconds).
 */
export class LeaseStore {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {}

  /** Takes or renews the lease for ttlMs from now; true when `holder` now holds it. */
  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock()
    const expiresAt = timestamp(new Date(now.getTime() + ttlMs))
    const rows = (await this.db('job_leases')
      .insert({ name, holder, acquired_at: timestamp(now), expires_at: expiresAt })
      .onConflict('name')
      .merge({
        holder,
        // A renewal keeps when the holder first took it; a takeover starts afresh.
        acquired_at: this.db.raw('case when job_leases.holder = ? then job_leases.acquired_at else ? end', [holder, timestamp(now)]),
        expires_at: expiresAt,
      })
      .where('job_leases.expires_at', '<=', timestamp(now))
      .orWhere('job_leases.holder', holder)
      .returning(['holder'])) as Array<{ holder: string }>
    return rows.length === 1 && rows[0]!.holder === holder
  }

  /** Gives the lease up, if `holder` still holds it, so another instance need not wait for it to expire. */
  async release(name: string, holder: string): Promise<boolean> {
    return (await this.db('job_leases').where({ name, holder }).delete()) === 1
  }

  async find(name: string): Promise<Lease | undefined> {
    const row = (await this.db('job_leases').where({ name }).first()) as
      { name: string; holder: string; acquired_at: unknown; expires_at: unknown } | undefined
    return row && { name: row.name, holder: row.holder, acquiredAt: toDate(row.acquired_at), expiresAt: toDate(row.expires_at) }
  }
}
