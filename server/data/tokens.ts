import type { Database } from '../db/connection'
import { timestamp, toDate, toDateOrNull } from '../db/values'
import { createToken, hashToken } from '../auth/tokens'
import type { Executor } from './frameworks'

export type TokenPurpose = 'invitation' | 'password_reset'

export interface TokenRecord {
  id: number
  purpose: TokenPurpose
  invitationId: number | null
  userId: number | null
  expiresAt: Date
  usedAt: Date | null
  revokedAt: Date | null
}

export type TokenProblem = 'unknown' | 'expired' | 'used' | 'revoked'

/** Why a link from an e-mail cannot be used: a problem with the token, or an account that has been deactivated. */
export type LinkProblem = TokenProblem | 'deactivated'

/**
 * Single-use, expiring tokens for links in e-mails (invitations and forgotten passwords).
 * Only a SHA-256 hash is stored, so a copy of the database cannot be used to take over an account.
 */
export class TokenData {
  constructor(private readonly db: Database) {}

  async issue(
    purpose: TokenPurpose,
    owner: { invitationId?: number; userId?: number },
    now: Date,
    lifetimeMs: number,
    executor: Executor,
  ): Promise<string> {
    const { token, tokenHash } = createToken()
    await executor('one_time_tokens').insert({
      purpose,
      token_hash: tokenHash,
      invitation_id: owner.invitationId ?? null,
      user_id: owner.userId ?? null,
      created_at: timestamp(now),
      expires_at: timestamp(new Date(now.getTime() + lifetimeMs)),
    })
    return token
  }

  /** One invitation token each for many invitations, in batches; the tokens come back in the same order. */
  async issueForInvitations(invitationIds: number[], now: Date, lifetimeMs: number, executor: Executor): Promise<string[]> {
    const tokens: string[] = []
    const rows = invitationIds.map((invitationId) => {
      const { token, tokenHash } = createToken()
      tokens.push(token)
      return {
        purpose: 'invitation',
        token_hash: tokenHash,
        invitation_id: invitationId,
        user_id: null,
        created_at: timestamp(now),
        expires_at: timestamp(new Date(now.getTime() + lifetimeMs)),
      }
    })
    for (let i = 0; i < rows.length; i += 500) await executor('one_time_tokens').insert(rows.slice(i, i + 500))
    return tokens
  }

  async find(token: string, purpose: TokenPurpose, executor: Executor = this.db): Promise<TokenRecord | undefined> {
    const row = (await executor('one_time_tokens').where({ token_hash: hashToken(token), purpose }).first()) as
      | {
          id: number
          purpose: TokenPurpose
          invitation_id: number | null
          user_id: number | null
          expires_at: unknown
          used_at: unknown
          revoked_at: unknown
        }
      | undefined
    return (
      row && {
        id: row.id,
        purpose: row.purpose,
        invitationId: row.invitation_id,
        userId: row.user_id,
        expiresAt: toDate(row.expires_at),
        usedAt: toDateOrNull(row.used_at),
        revokedAt: toDateOrNull(row.revoked_at),
      }
    )
  }

  /** Why a token cannot be used now, or undefined when it can. */
  static problemWith(record: TokenRecord | undefined, now: Date): TokenProblem | undefined {
    if (!record) return 'unknown'
    if (record.revokedAt) return 'revoked'
    if (record.usedAt) return 'used'
    if (record.expiresAt <= now) return 'expired'
    return undefined
  }

  /** Marks a token used; false if another request used it first (so it works exactly once). */
  async consume(tokenId: number, now: Date, executor: Executor): Promise<boolean> {
    const updated = await executor('one_time_tokens').where({ id: tokenId }).whereNull('used_at').whereNull('revoked_at').update({ used_at: timestamp(now) })
    return updated === 1
  }

  async revokeFor(owner: { invitationId?: number; userId?: number; purpose: TokenPurpose }, now: Date, executor: Executor): Promise<void> {
    const query = executor('one_time_tokens').where({ purpose: owner.purpose }).whereNull('used_at').whereNull('revoked_at')
    if (owner.invitationId !== undefined) query.where({ invitation_id: owner.invitationId })
    if (owner.userId !== undefined) query.where({ user_id: owner.userId })
    await query.update({ revoked_at: timestamp(now) })
  }
}
