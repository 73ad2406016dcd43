import type { AppConfig } from '../config'
import type { Database } from '../db/connection'
import { hashPassword, verifyPassword } from '../auth/passwords'
import type { CurrentUser } from '../auth/types'
import type { DatabaseSessionStore } from '../data/sessionStore'
import { TokenData, type LinkProblem } from '../data/tokens'
import { UserData, normaliseEmail } from '../data/users'
import type { AuditService } from './auditService'
import type { Mailer } from './mailer'
import { passwordReset } from '../emails/messages'

/** After this many wrong passwords in a row, an account pauses: 1 minute, then doubling, at most an hour. */
export const failuresBeforeLockout = 5
const maximumLockMinutes = 60
const passwordResetLifetimeMs = 2 * 60 * 60 * 1000

export type SignInResult = { ok: true; user: CurrentUser } | { ok: false }

export class AccountService {
  private readonly users: UserData
  private readonly tokens: TokenData

  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly mailer: Mailer,
    private readonly sessions: DatabaseSessionStore,
    private readonly clock: () => Date,
  ) {
    this.users = new UserData(db)
    this.tokens = new TokenData(db)
  }

  /** The signed-in user with their memberships, or undefined when the account is gone or deactivated. */
  currentUser(userId: number): Promise<CurrentUser | undefined> {
    return this.users.activeUserWithMemberships(userId)
  }

  /**
   * Checks an e-mail and password. Every failure looks the same from outside – unknown
   * e-mail, wrong password, deactivated or paused account – so nothing reveals who has an account.
   */
  async signIn(email: string, password: string, ip: string | undefined): Promise<SignInResult> {
    const now = this.clock()
    const user = await this.users.findByEmail(email)
    if (!user || !user.isActive) {
      await verifyPassword(null, password)
      await this.audit.recordFrom(
        { userId: null, ip },
        {
          kind: 'sign-in.failed',
          icsId: null,
          details: { email: normaliseEmail(email).slice(0, 320), reason: user ? 'deactivated' : 'unknown account' },
        },
      )
      return { ok: false }
    }
    if (user.lockedUntil && user.lockedUntil > now) {
      await verifyPassword(null, password)
      await this.audit.recordFrom(
        { userId: user.id, ip },
        {
          kind: 'sign-in.failed',
          icsId: null,
          subjectType: 'user',
          subjectId: user.id,
          details: { reason: 'account paused' },
        },
      )
      return { ok: false }
    }
    if (!(await verifyPassword(user.passwordHash, password))) {
      const failures = await this.users.recordFailedSignIn(user.id)
      await this.audit.recordFrom(
        { userId: user.id, ip },
        {
          kind: 'sign-in.failed',
          icsId: null,
          subjectType: 'user',
          subjectId: user.id,
          details: { reason: 'wrong password', failures },
        },
      )
      if (failures >= failuresBeforeLockout) {
        const minutes = Math.min(maximumLockMinutes, 2 ** (failures - failuresBeforeLockout))
        await this.users.lockUntil(user.id, new Date(now.getTime() + minutes * 60_000))
        await this.audit.recordFrom(
          { userId: user.id, ip },
          {
            kind: 'sign-in.locked',
            icsId: null,
            subjectType: 'user',
            subjectId: user.id,
            details: { minutes },
          },
        )
      }
      return { ok: false }
    }
    await this.users.recordSuccessfulSignIn(user.id, now)
    await this.audit.recordFrom(
      { userId: user.id, ip },
      { kind: 'sign-in.succeeded', icsId: null, subjectType: 'user', subjectId: user.id },
    )
    return { ok: true, user: { id: user.id, email: user.email, name: user.name, memberships: await this.users.memberships(user.id) } }
  }

  async recordSignOut(userId: number, ip: string | undefined): Promise<void> {
    await this.audit.recordFrom({ userId: userId, ip }, { kind: 'sign-out', icsId: null, subjectType: 'user', subjectId: userId })
  }

  /** Sends a reset link if the account exists and is active; says nothing either way. */
  async requestPasswordReset(email: string, ip: string | undefined): Promise<void> {
    const user = await this.users.findByEmail(email)
    if (!user || !user.isActive) return
    const now = this.clock()
    const token = await this.db.transaction(async (trx) => {
      await this.tokens.revokeFor({ userId: user.id, purpose: 'password_reset' }, now, trx)
      return this.tokens.issue('password_reset', { userId: user.id }, now, passwordResetLifetimeMs, trx)
    })
    await this.audit.recordFrom(
      { userId: user.id, ip },
      {
        kind: 'password.reset-requested',
        icsId: null,
        subjectType: 'user',
        subjectId: user.id,
      },
    )
    await this.mailer.send({
      to: user.email,
      icsId: (await this.users.memberships(user.id))[0]?.icsId ?? null,
      ...passwordReset({ recipientName: user.name, link: `${this.config.baseUrl}/reset-password/${token}` }),
    })
  }

  async checkPasswordResetToken(token: string): Promise<LinkProblem | undefined> {
    const record = await this.tokens.find(token, 'password_reset')
    const problem = TokenData.problemWith(record, this.clock())
    if (problem || !record?.userId) return problem ?? 'unknown'
    return (await this.users.findById(record.userId))?.isActive ? undefined : 'deactivated'
  }

  /** Sets a new password from a reset link, ends every other session, and returns the user to sign in. */
  async resetPassword(
    token: string,
    password: string,
    ip: string | undefined,
  ): Promise<{ ok: true; user: CurrentUser } | { ok: false; problem: LinkProblem }> {
    const now = this.clock()
    const passwordHash = await hashPassword(password)
    const outcome = await this.db.transaction(async (trx) => {
      const record = await this.tokens.find(token, 'password_reset', trx)
      const problem = TokenData.problemWith(record, now)
      if (problem || !record?.userId) return { ok: false as const, problem: problem ?? 'unknown' }
      // A link sent before the account was deactivated does not bring it back.
      if (!(await this.users.findById(record.userId, trx))?.isActive) return { ok: false as const, problem: 'deactivated' as const }
      if (!(await this.tokens.consume(record.id, now, trx))) return { ok: false as const, problem: 'used' as const }
      await this.users.setPassword(record.userId, passwordHash, trx)
      return { ok: true as const, userId: record.userId }
    })
    if (!outcome.ok) return outcome
    await this.sessions.destroyAllForUser(outcome.userId)
    await this.audit.recordFrom(
      { userId: outcome.userId, ip },
      {
        kind: 'password.reset',
        icsId: null,
        subjectType: 'user',
        subjectId: outcome.userId,
      },
    )
    const user = await this.currentUser(outcome.userId)
    return user ? { ok: true, user } : { ok: false, problem: 'unknown' }
  }
}
