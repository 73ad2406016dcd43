import session from 'express-session'
import type { Database } from '../db/connection'
import type { CurrentUser } from '../auth/types'
import { compiledRead } from '../db/compiledRead'
import { timestamp, toDate } from '../db/values'
import { activeUserColumns, currentUserOf, withActiveUser, type ActiveUserRow } from './users'

type Callback<T = void> = (error?: unknown, value?: T) => void

type SessionWithUserRow = ActiveUserRow & { data: string; expires_at: unknown; user_id: number | null }

/** A session and the active user it belongs to, with their memberships: read on every request. */
const readSessionWithUser = compiledRead<{ sid: string }, SessionWithUserRow>(
  (db, { sid }) =>
    withActiveUser(db('sessions as s'), 's.user_id')
      .where('s.sid', sid)
      .select('s.data', 's.expires_at', 's.user_id', 'au.id as active_user_id', ...activeUserColumns),
  ['sid'],
)

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

  /** Signed-in users read with their sessions, each waiting for its request to take it (see get). */
  private readonly usersRead = new Map<string, { userId: number | null; user: CurrentUser | undefined }>()

  /**
   * Reads the session and, in the same query, the active user it belongs to (with their
   * memberships), which every signed-in request needs next: `takeUserReadWith` hands it over.
   */
  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    readSessionWithUser(this.db, { sid })
      .then((rows) => {
        const row = rows[0]
        if (!row || toDate(row.expires_at) <= this.clock()) return callback(undefined, null)
        if (row.user_id !== null) {
          // Read a moment ago and taken at once; the limit only guards against a request that never came for it.
          if (this.usersRead.size >= 1000) this.usersRead.clear()
          this.usersRead.set(sid, { userId: row.user_id, user: currentUserOf(rows) })
        }
        callback(undefined, JSON.parse(row.data) as session.SessionData)
      })
      .catch(callback)
  }

  /**
   * The user read with session `sid` just now, if it was user `userId` (`{ user: undefined }`
   * when they are deactivated or gone); undefined when none was read, and then the caller reads
   * the user itself. Each read is handed over once.
   */
  takeUserReadWith(sid: string, userId: number): { user: CurrentUser | undefined } | undefined {
    const read = this.usersRead.get(sid)
    if (!read) return undefined
    this.usersRead.delete(sid)
    return read.userId === userId ? { user: read.user } : undefined
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

  // No `touch`: express-session would call it on every request whose session did not change, to
  // move the row's expiry on, and check the session once more (a hash of it) to decide so. It
  // need not: the row's expiry only bounds how long an abandoned row is kept, and an active
  // session is written anyway (set) whenever its lastSeenAt moves, at least once a minute, which
  // moves the expiry on with it. Without it, an unchanged session's response is simply ended.

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
