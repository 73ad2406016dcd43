import session from 'express-session'
import type { Database } from '../db/connection'
import { timestamp, toDate } from '../db/values'

type Callback<T = void> = (error?: unknown, value?: T) => void

/**
 * express-session's store in our own database, so sessions survive restarts and are shared
 * by every instance. The user id is kept in its own column so that deactivating a user can
 * end all of their sessions with one statement.
 */
export class DatabaseSessionStore extends session.Store {
  private lastSweep = 0

  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {
    super()
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.db('sessions')
      .where({ sid })
      .first('data', 'expires_at')
      .then((row: { data: string; expires_at: unknown } | undefined) => {
        if (!row || toDate(row.expires_at) <= this.clock()) return callback(undefined, null)
        callback(undefined, JSON.parse(row.data) as session.SessionData)
      })
      .catch(callback)
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    const record = { data: JSON.stringify(data), user_id: (data as { userId?: number }).userId ?? null, expires_at: this.expiryOf(data) }
    this.db('sessions')
      .insert({ sid, ...record })
      .onConflict('sid')
      .merge(record)
      .then(() => this.sweepExpired())
      .then(() => callback?.())
      .catch((error: unknown) => callback?.(error))
  }

  /**
   * express-session calls this on every request whose session did not change, which would
   * make every request a database write. It need not be: the row's expiry only bounds how long
   * an abandoned row is kept, and an active session is written anyway (set) whenever its
   * lastSeenAt moves, at least once a minute, which moves the expiry on with it.
   */
  override touch(_sid: string, _data: session.SessionData, callback?: Callback): void {
    callback?.()
  }

  override destroy(sid: string, callback?: Callback): void {
    this.db('sessions')
      .where({ sid })
      .delete()
      .then(() => callback?.())
      .catch((error: unknown) => callback?.(error))
  }

  /** Ends every session of a user at once (deactivation, password reset). */
  async destroyAllForUser(userId: number): Promise<void> {
    await this.db('sessions').where({ user_id: userId }).delete()
  }

  /**
   * Rows expire 12 hours after their last write, by our clock (the idle and absolute
   * timeouts themselves are enforced when the session is loaded); this only bounds how
   * long an abandoned row is kept.
   */
  private expiryOf(_data: session.SessionData): string {
    return timestamp(new Date(this.clock().getTime() + 12 * 60 * 60 * 1000))
  }

  /** Expired rows are removed now and then, by whichever instance happens to be writing. */
  private async sweepExpired(): Promise<void> {
    const now = this.clock().getTime()
    if (now - this.lastSweep < 10 * 60 * 1000) return
    this.lastSweep = now
    await this.db('sessions').where('expires_at', '<', timestamp(this.clock())).delete()
  }
}
