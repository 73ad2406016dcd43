import type { Database } from '../db/connection'
import { timestamp, toDate, toDateOrNull } from '../db/values'
import type { Executor } from './frameworks'

export interface ApiTokenRecord {
  id: number
  icsId: number
  name: string
  createdAt: Date
  createdByName: string | null
  lastUsedAt: Date | null
  revokedAt: Date | null
  revokedByName: string | null
}

interface ApiTokenRow {
  id: number
  ics_id: number
  name: string
  created_at: unknown
  created_by_name: string | null
  last_used_at: unknown
  revoked_at: unknown
  revoked_by_name: string | null
}

function toRecord(row: ApiTokenRow): ApiTokenRecord {
  return {
    id: row.id,
    icsId: row.ics_id,
    name: row.name,
    createdAt: toDate(row.created_at),
    createdByName: row.created_by_name,
    lastUsedAt: toDateOrNull(row.last_used_at),
    revokedAt: toDateOrNull(row.revoked_at),
    revokedByName: row.revoked_by_name,
  }
}

/** API tokens, found by the SHA-256 hash of their secret (the secret itself is never stored). */
export class ApiTokenData {
  constructor(private readonly db: Database) {}

  private select(executor: Executor) {
    return executor('api_tokens as t')
      .leftJoin('users as c', 'c.id', 't.created_by')
      .leftJoin('users as r', 'r.id', 't.revoked_by')
      .select('t.id', 't.ics_id', 't.name', 't.created_at', 't.last_used_at', 't.revoked_at', 'c.name as created_by_name', 'r.name as revoked_by_name')
  }

  async insert(
    token: { icsId: number; name: string; tokenHash: string; createdBy: number | null },
    now: Date,
    executor: Executor = this.db,
  ): Promise<number> {
    const [row] = (await executor('api_tokens').insert(
      { ics_id: token.icsId, name: token.name, token_hash: token.tokenHash, created_by: token.createdBy, created_at: timestamp(now) },
      ['id'],
    )) as Array<{ id: number }>
    return row!.id
  }

  /** Whether a token in use in the ICS already has this name. */
  async nameInUse(icsId: number, name: string, executor: Executor = this.db): Promise<boolean> {
    return (await executor('api_tokens').where({ ics_id: icsId, name }).whereNull('revoked_at').first('id')) !== undefined
  }

  /** Whether the token's maker is still an active ICS lead of its ICS. */
  async creatorStillLeads(id: number): Promise<boolean> {
    const row = await this.db('api_tokens as t')
      .join('users as u', 'u.id', 't.created_by')
      .join('memberships as m', (j) => j.on('m.user_id', 'u.id').andOn('m.ics_id', 't.ics_id'))
      .where({ 't.id': id, 'm.role': 'ics_lead', 'u.is_active': true })
      .first('t.id')
    return row !== undefined
  }

  async findByHash(tokenHash: string, executor: Executor = this.db): Promise<ApiTokenRecord | undefined> {
    const row = (await this.select(executor).where('t.token_hash', tokenHash).first()) as ApiTokenRow | undefined
    return row && toRecord(row)
  }

  async find(id: number, executor: Executor = this.db): Promise<ApiTokenRecord | undefined> {
    const row = (await this.select(executor).where('t.id', id).first()) as ApiTokenRow | undefined
    return row && toRecord(row)
  }

  /** An ICS's tokens: those in use first (newest first), then the revoked ones. */
  async listForIcs(icsId: number): Promise<ApiTokenRecord[]> {
    const rows = (await this.select(this.db)
      .where('t.ics_id', icsId)
      .orderByRaw('case when t.revoked_at is null then 0 else 1 end')
      .orderBy([
        { column: 't.created_at', order: 'desc' },
        { column: 't.id', order: 'desc' },
      ])) as ApiTokenRow[]
    return rows.map(toRecord)
  }

  /** Revokes a token in use; false when it was already revoked (or is not there). */
  async revoke(id: number, by: number | null, now: Date, executor: Executor = this.db): Promise<boolean> {
    const updated = await executor('api_tokens').where({ id }).whereNull('revoked_at').update({ revoked_at: timestamp(now), revoked_by: by })
    return updated === 1
  }

  /**
   * Notes that a token was used, at most once a minute per token: a busy client should not
   * turn every read into a write.
   */
  async touch(id: number, now: Date): Promise<void> {
    const minuteAgo = timestamp(new Date(now.getTime() - 60_000))
    await this.db('api_tokens')
      .where({ id })
      .where((q) => {
        q.whereNull('last_used_at').orWhere('last_used_at', '<', minuteAgo)
      })
      .update({ last_used_at: timestamp(now) })
  }

  /** Makes a token with exactly this hash exist and be in use (the demo's DEMO_API_TOKEN). */
  async ensure(token: { icsId: number; name: string; tokenHash: string; createdBy: number | null }, now: Date, executor: Executor): Promise<void> {
    const existing = (await executor('api_tokens').where({ token_hash: token.tokenHash }).first('id')) as { id: number } | undefined
    if (existing) {
      await executor('api_tokens')
        .where({ id: existing.id })
        .update({ ics_id: token.icsId, name: token.name, revoked_at: null, revoked_by: null })
      return
    }
    await this.insert(token, now, executor)
  }
}
