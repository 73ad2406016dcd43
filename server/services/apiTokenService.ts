import { randomBytes } from 'node:crypto'
import { isIcsLead } from '../auth/access'
import { apiTokenPrefix, type ApiClient } from '../auth/apiClient'
import { hashToken } from '../auth/tokens'
import type { Actor } from '../auth/types'
import { ApiTokenData, type ApiTokenRecord } from '../data/apiTokens'
import type { Database } from '../db/connection'
import { NotFoundError, ValidationError } from '../errors'
import type { AuditService } from './auditService'

export const maxTokenNameLength = 100

/** Why a token was refused (recorded in the audit trail; the caller is told only "not valid"). */
export type TokenRefusal = 'malformed' | 'unknown' | 'revoked' | 'creator-not-lead' | 'too-many-failures'

export type Authentication = { client: ApiClient } | { refused: TokenRefusal }

/** API tokens: made, listed and revoked by an ICS lead; checked on every API request. */
export class ApiTokenService {
  private readonly tokens: ApiTokenData

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: () => Date,
  ) {
    this.tokens = new ApiTokenData(db)
  }

  async list(actor: Actor, icsId: number): Promise<ApiTokenRecord[]> {
    if (!isIcsLead(actor.user, icsId)) throw new NotFoundError()
    return this.tokens.listForIcs(icsId)
  }

  /** Makes a token; the secret is returned this once and only its hash is kept. */
  async create(actor: Actor, icsId: number, name: string): Promise<{ secret: string; token: ApiTokenRecord }> {
    if (!isIcsLead(actor.user, icsId)) throw new NotFoundError()
    const trimmed = name.trim()
    if (!trimmed) throw new ValidationError([{ text: 'Enter a name for the token', href: '#name' }])
    if (trimmed.length > maxTokenNameLength)
      throw new ValidationError([{ text: `Name must be ${maxTokenNameLength} characters or fewer`, href: '#name' }])
    const secret = `${apiTokenPrefix}${randomBytes(32).toString('base64url')}`
    const now = this.clock()
    const id = await this.db.transaction(async (trx) => {
      if (await this.tokens.nameInUse(icsId, trimmed, trx))
        throw new ValidationError([{ text: 'A token in use already has that name: choose another', href: '#name' }])
      const tokenId = await this.tokens.insert({ icsId, name: trimmed, tokenHash: hashToken(secret), createdBy: actor.user.id }, now, trx)
      await this.audit.record(
        actor,
        { kind: 'api-token.created', icsId, subjectType: 'api_token', subjectId: tokenId, details: { name: trimmed } },
        trx,
      )
      return tokenId
    })
    return { secret, token: (await this.tokens.find(id))! }
  }

  async revoke(actor: Actor, icsId: number, tokenId: number): Promise<ApiTokenRecord> {
    if (!isIcsLead(actor.user, icsId)) throw new NotFoundError()
    const token = await this.tokens.find(tokenId)
    if (!token || token.icsId !== icsId) throw new NotFoundError()
    await this.db.transaction(async (trx) => {
      if (!(await this.tokens.revoke(tokenId, actor.user.id, this.clock(), trx))) return
      await this.audit.record(
        actor,
        { kind: 'api-token.revoked', icsId, subjectType: 'api_token', subjectId: tokenId, details: { name: token.name } },
        trx,
      )
    })
    return token
  }

  /**
   * The API client a bearer secret stands for. A token works while it is not revoked and the
   * ICS lead who made it is still an active ICS lead of its ICS: someone who leaves takes their
   * tokens' power with them. Every refusal goes to the audit trail (in the token's ICS when it
   * is known), with the address it came from.
   */
  async authenticate(
    secret: string,
    ip: string | undefined,
    path: string,
    options: { record: boolean } = { record: true },
  ): Promise<Authentication> {
    const refuse = async (refused: TokenRefusal, token?: ApiTokenRecord): Promise<Authentication> => {
      if (!options.record) return { refused }
      await this.audit.recordFrom(
        { userId: null, ip },
        {
          kind: 'api-token.refused',
          icsId: token?.icsId ?? null,
          subjectType: token ? 'api_token' : undefined,
          subjectId: token?.id,
          details: { reason: refused, path: path.slice(0, 200), ...(token ? { name: token.name } : {}) },
        },
      )
      return { refused }
    }
    if (secret.length < 20 || secret.length > 200 || !/^[\x21-\x7e]+$/.test(secret)) return refuse('malformed')
    const token = await this.tokens.findByHash(hashToken(secret))
    if (!token) return refuse('unknown')
    if (token.revokedAt) return refuse('revoked', token)
    if (!(await this.creatorStillLeads(token))) return refuse('creator-not-lead', token)
    await this.tokens.touch(token.id, this.clock())
    return { client: { tokenId: token.id, icsId: token.icsId, tokenName: token.name } }
  }

  /** Records that an address has made so many failed attempts that the rest are refused unrecorded. */
  async recordFailureLimit(ip: string | undefined, path: string): Promise<void> {
    await this.audit.recordFrom(
      { userId: null, ip },
      { kind: 'api-token.refused', icsId: null, details: { reason: 'too-many-failures' satisfies TokenRefusal, path: path.slice(0, 200) } },
    )
  }

  private creatorStillLeads(token: ApiTokenRecord): Promise<boolean> {
    return this.tokens.creatorStillLeads(token.id)
  }
}
