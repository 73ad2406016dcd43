import type { Knex } from 'knex'
import type { Role } from '../auth/types'
import type { Database } from '../db/connection'
import { timestamp, toDate, toDateOrNull } from '../db/values'
import type { Executor } from './frameworks'
import { idParams, idsOf, shapedReads, type ShapedParams } from './shapedReads'
import type { MembershipInput } from './users'

/** An invitation with the names of its scope and sender, and when its newest live link expires. */
export interface InvitationRecord {
  id: number
  email: string
  name: string
  role: Role
  icsId: number
  placeId: number | null
  organisationId: number | null
  invitedBy: number | null
  createdAt: Date
  lastSentAt: Date
  acceptedAt: Date | null
  revokedAt: Date | null
  icsName: string
  placeName: string | null
  organisationName: string | null
  invitedByName: string | null
  /** When the newest link not revoked expires; null when there is none. */
  latestExpiry: Date | null
}

export type NewInvitation = Pick<InvitationRecord, 'email' | 'name' | 'role' | 'icsId' | 'placeId' | 'organisationId' | 'invitedBy'>

interface InvitationRow {
  id: number
  email: string
  name: string
  role: Role
  ics_id: number
  place_id: number | null
  organisation_id: number | null
  invited_by: number | null
  created_at: unknown
  last_sent_at: unknown
  accepted_at: unknown
  revoked_at: unknown
  ics_name: string
  place_name: string | null
  organisation_name: string | null
  invited_by_name: string | null
  latest_expiry: unknown
}

function toRecord(row: InvitationRow): InvitationRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    icsId: row.ics_id,
    placeId: row.place_id,
    organisationId: row.organisation_id,
    invitedBy: row.invited_by,
    createdAt: toDate(row.created_at),
    lastSentAt: toDate(row.last_sent_at),
    acceptedAt: toDateOrNull(row.accepted_at),
    revokedAt: toDateOrNull(row.revoked_at),
    icsName: row.ics_name,
    placeName: row.place_name,
    organisationName: row.organisation_name,
    invitedByName: row.invited_by_name,
    latestExpiry: toDateOrNull(row.latest_expiry),
  }
}

// The invitations' list, compiled once per shape (see shapedReads).
const countReads = shapedReads<{ n: unknown }>(20)
const pageReads = shapedReads<InvitationRow>(200)

/** Invitations to take a role: who, in what scope, sent and accepted or revoked when. */
export class InvitationData {
  constructor(private readonly db: Database) {}

  private query(executor: Executor) {
    const latestExpiry = executor('one_time_tokens as t')
      .whereRaw('t.invitation_id = n.id')
      .whereNull('t.revoked_at')
      .max('t.expires_at')
      .as('latest_expiry')
    return executor('invitations as n')
      .join('ics as i', 'i.id', 'n.ics_id')
      .leftJoin('places as p', 'p.id', 'n.place_id')
      .leftJoin('organisations as o', 'o.id', 'n.organisation_id')
      .leftJoin('users as u', 'u.id', 'n.invited_by')
      .select(
        'n.id',
        'n.email',
        'n.name',
        'n.role',
        'n.ics_id',
        'n.place_id',
        'n.organisation_id',
        'n.invited_by',
        'n.created_at',
        'n.last_sent_at',
        'n.accepted_at',
        'n.revoked_at',
        'i.name as ics_name',
        'p.name as place_name',
        'o.name as organisation_name',
        'u.name as invited_by_name',
        latestExpiry,
      )
  }

  async find(id: number, executor: Executor = this.db): Promise<InvitationRecord | undefined> {
    const row = (await this.query(executor).where('n.id', id).first()) as InvitationRow | undefined
    return row && toRecord(row)
  }

  /**
   * A page of an ICS's invitations, newest first, and how many there are; only those of
   * `placeIds` when given (a place lead's).
   */
  async list(
    filter: { icsId: number; placeIds?: number[] },
    page: number,
    pageSize: number,
  ): Promise<{ invitations: InvitationRecord[]; total: number }> {
    const params = { ics: filter.icsId, ...(filter.placeIds ? idParams('place', filter.placeIds) : {}) }
    const scoped = <Q extends Knex.QueryBuilder>(query: Q, params: ShapedParams): Q => {
      query.where('n.ics_id', params.ics!)
      if (filter.placeIds) query.whereIn('n.place_id', idsOf('place', params))
      return query
    }
    // A place lead's list has its places (maybe none), an ICS lead's has none: the shape says which.
    const scope = filter.placeIds ? 'places' : 'ics'
    const countRead = countReads(params, scope, (db, params) => scoped(db('invitations as n'), params).count({ n: '*' }).first())
    const pageRead = pageReads(params, `${scope}:${page}:${pageSize}`, (db, params) =>
      scoped(this.query(db), params)
        .orderBy([
          { column: 'n.created_at', order: 'desc' },
          { column: 'n.id', order: 'desc' },
        ])
        .limit(pageSize)
        .offset((page - 1) * pageSize),
    )
    const [[count], rows] = await Promise.all([countRead(this.db, params), pageRead(this.db, params)])
    return { invitations: rows.map(toRecord), total: Number(count?.n ?? 0) }
  }

  /** Whether the same role in the same scope was invited since `sentAfter` and is still open (not accepted or revoked). */
  async hasOpenInvitation(email: string, scope: MembershipInput, sentAfter: Date, executor: Executor): Promise<boolean> {
    const row = await executor('invitations')
      .where({ email, role: scope.role, ics_id: scope.icsId })
      .where((q) => {
        if (scope.placeId === null) q.whereNull('place_id')
        else q.where('place_id', scope.placeId)
      })
      .where((q) => {
        if (scope.organisationId === null) q.whereNull('organisation_id')
        else q.where('organisation_id', scope.organisationId)
      })
      .whereNull('accepted_at')
      .whereNull('revoked_at')
      .where('last_sent_at', '>', timestamp(sentAfter))
      .first('id')
    return row !== undefined
  }

  /** Writes invitations, in batches; their ids in the order given. */
  async insert(invitations: NewInvitation[], now: Date, executor: Executor): Promise<number[]> {
    const ids: number[] = []
    for (let i = 0; i < invitations.length; i += 500) {
      const rows = (await executor('invitations').insert(
        invitations.slice(i, i + 500).map((n) => ({
          email: n.email,
          name: n.name,
          role: n.role,
          ics_id: n.icsId,
          place_id: n.placeId,
          organisation_id: n.organisationId,
          invited_by: n.invitedBy,
          created_at: timestamp(now),
          last_sent_at: timestamp(now),
        })),
        ['id'],
      )) as Array<{ id: number }>
      // Ids come back in the order the rows were given (one statement, on SQLite and PostgreSQL alike); sorted to be sure.
      ids.push(...rows.map((r) => r.id).sort((a, b) => a - b))
    }
    return ids
  }

  async markResent(id: number, now: Date, executor: Executor): Promise<void> {
    await executor('invitations')
      .where({ id })
      .update({ last_sent_at: timestamp(now) })
  }

  async markRevoked(id: number, now: Date, executor: Executor): Promise<void> {
    await executor('invitations')
      .where({ id })
      .update({ revoked_at: timestamp(now) })
  }

  async markAccepted(id: number, userId: number, now: Date, executor: Executor): Promise<void> {
    await executor('invitations')
      .where({ id })
      .update({ accepted_at: timestamp(now), accepted_user_id: userId })
  }

  /** The names an ICS's invitations are written with: the ICS's, and each of its places' and organisations'. */
  async scopeNames(
    icsId: number,
    executor: Executor,
  ): Promise<{ icsName: string; places: Map<number, string>; organisations: Map<number, string> }> {
    const ics = (await executor('ics').where({ id: icsId }).first('name')) as { name: string }
    const places = (await executor('places').where({ ics_id: icsId }).select('id', 'name')) as Array<{ id: number; name: string }>
    const organisations = (await executor('organisations as o')
      .join('places as p', 'p.id', 'o.place_id')
      .where('p.ics_id', icsId)
      .select('o.id', 'o.name')) as Array<{ id: number; name: string }>
    return {
      icsName: ics.name,
      places: new Map(places.map((p) => [p.id, p.name])),
      organisations: new Map(organisations.map((o) => [o.id, o.name])),
    }
  }
}
