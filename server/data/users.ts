import type { Database } from '../db/connection'
import { compiledRead } from '../db/compiledRead'
import { timestamp, toBoolean, toDateOrNull } from '../db/values'
import type { Knex } from 'knex'
import type { CurrentUser, Membership, Role } from '../auth/types'
import type { Executor } from './frameworks'
import { idParams, idsOf, shapedReads, type ShapedParams } from './shapedReads'

export interface UserRecord {
  id: number
  email: string
  name: string
  passwordHash: string | null
  isActive: boolean
  failedSignIns: number
  lockedUntil: Date | null
  lastSignInAt: Date | null
}

interface UserRow {
  id: number
  email: string
  name: string
  password_hash: string | null
  is_active: unknown
  failed_sign_ins: number
  locked_until: unknown
  last_sign_in_at: unknown
}

function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    isActive: toBoolean(row.is_active),
    failedSignIns: row.failed_sign_ins,
    lockedUntil: toDateOrNull(row.locked_until),
    lastSignInAt: toDateOrNull(row.last_sign_in_at),
  }
}

export interface MembershipInput {
  role: Role
  icsId: number
  placeId: number | null
  organisationId: number | null
}

const userSummaryColumns = ['u.id', 'u.email', 'u.name', 'u.is_active', 'u.last_sign_in_at']

interface UserSummaryRow {
  id: number
  email: string
  name: string
  is_active: unknown
  last_sign_in_at: unknown
}

export interface IcsUserSummary {
  id: number
  email: string
  name: string
  isActive: boolean
  lastSignInAt: Date | null
  memberships: Membership[]
}

/** A membership with the names of its ICS, place and organisation, as selected by the queries below. */
interface MembershipRow {
  membership_id: number | null
  user_id: number
  role: Role
  ics_id: number
  ics_name: string
  place_id: number | null
  place_name: string | null
  organisation_id: number | null
  organisation_name: string | null
}

const membershipColumns = [
  'm.id as membership_id',
  'm.user_id',
  'm.role',
  'm.ics_id',
  'i.name as ics_name',
  'm.place_id',
  'p.name as place_name',
  'm.organisation_id',
  'o.name as organisation_name',
]

function toMembership(r: MembershipRow): Membership & { userId: number } {
  return {
    id: r.membership_id!,
    userId: r.user_id,
    role: r.role,
    icsId: r.ics_id,
    icsName: r.ics_name,
    placeId: r.place_id,
    placeName: r.place_name,
    organisationId: r.organisation_id,
    organisationName: r.organisation_name,
  }
}

/** The columns `withActiveUser` adds: the user's e-mail and name, and one membership a row. */
export const activeUserColumns = ['au.email as active_user_email', 'au.name as active_user_name', ...membershipColumns]

export type ActiveUserRow = MembershipRow & { active_user_id: number | null; active_user_email: string | null; active_user_name: string | null }

/**
 * Joins the active user whose id is in `userIdColumn` (as `au`), with their memberships and
 * the names of their scopes, onto a query: the signed-in user in the same query as what
 * identifies them (a session). Select `activeUserColumns` and the id as `active_user_id`.
 */
export function withActiveUser<Q extends Knex.QueryBuilder>(query: Q, userIdColumn: string): Q {
  return query
    .leftJoin('users as au', (j) => j.on('au.id', '=', userIdColumn).andOnVal('au.is_active', '=', true))
    .leftJoin('memberships as m', 'm.user_id', 'au.id')
    .leftJoin('ics as i', 'i.id', 'm.ics_id')
    .leftJoin('places as p', 'p.id', 'm.place_id')
    .leftJoin('organisations as o', 'o.id', 'm.organisation_id')
    .orderBy(['i.name', 'p.name', 'o.name', 'm.id']) as Q
}

/** The signed-in user from `withActiveUser`'s rows; undefined when there is none (or they are deactivated). */
export function currentUserOf(rows: ActiveUserRow[]): CurrentUser | undefined {
  const first = rows[0]
  if (!first || first.active_user_id === null || first.active_user_email === null) return undefined
  const memberships = rows
    .filter((r) => r.membership_id !== null)
    .map((r) => {
      const { userId: _userId, ...membership } = toMembership(r)
      return membership
    })
  return { id: first.active_user_id, email: first.active_user_email, name: first.active_user_name ?? '', memberships }
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase()
}

// The users' list and their roles, compiled once per shape (see shapedReads): the roles' query per number of people on the page.
const userCountReads = shapedReads<{ n: unknown }>(10)
const userPageReads = shapedReads<UserSummaryRow>(200)
const membershipsOfUsersReads = shapedReads<MembershipRow>(100)

/** What namesVersion reads (on every view of the audit trail), compiled once rather than built at each call. */
const readNamesVersion = compiledRead<{ icsId: number }, { results: unknown; members: unknown; newest: unknown }>(
  (db, { icsId }) =>
    db
      .queryBuilder()
      .select(
        db('results_versions').where({ ics_id: icsId }).select('version').as('results'),
        db('memberships').where({ ics_id: icsId }).count({ n: '*' }).as('members'),
        db('memberships').where({ ics_id: icsId }).max({ n: 'id' }).as('newest'),
      )
      .first(),
  ['icsId'],
)

export class UserData {
  constructor(private readonly db: Database) {}

  async findByEmail(email: string, executor: Executor = this.db): Promise<UserRecord | undefined> {
    const row = (await executor('users').where({ email: normaliseEmail(email) }).first()) as UserRow | undefined
    return row && toUser(row)
  }

  async findById(id: number, executor: Executor = this.db): Promise<UserRecord | undefined> {
    const row = (await executor('users').where({ id }).first()) as UserRow | undefined
    return row && toUser(row)
  }

  async create(input: { email: string; name: string; passwordHash: string | null }, executor: Executor): Promise<number> {
    const [row] = (await executor('users').insert(
      { email: normaliseEmail(input.email), name: input.name, password_hash: input.passwordHash, is_active: true, created_at: timestamp() },
      ['id'],
    )) as Array<{ id: number }>
    return row!.id
  }

  async setPassword(userId: number, passwordHash: string, executor: Executor = this.db): Promise<void> {
    await executor('users').where({ id: userId }).update({ password_hash: passwordHash, failed_sign_ins: 0, locked_until: null })
  }

  async recordSuccessfulSignIn(userId: number, at: Date): Promise<void> {
    await this.db('users').where({ id: userId }).update({ failed_sign_ins: 0, locked_until: null, last_sign_in_at: timestamp(at) })
  }

  /** Counts a failure atomically and returns the new count, so concurrent attempts all count. */
  async recordFailedSignIn(userId: number): Promise<number> {
    await this.db('users')
      .where({ id: userId })
      .update({ failed_sign_ins: this.db.raw('failed_sign_ins + 1') })
    const row = (await this.db('users').where({ id: userId }).first('failed_sign_ins')) as { failed_sign_ins: number }
    return row.failed_sign_ins
  }

  async lockUntil(userId: number, until: Date): Promise<void> {
    await this.db('users').where({ id: userId }).update({ locked_until: timestamp(until) })
  }

  async setActive(userId: number, active: boolean, at: Date, executor: Executor = this.db): Promise<void> {
    await executor('users')
      .where({ id: userId })
      .update({ is_active: active, deactivated_at: active ? null : timestamp(at) })
  }

  /**
   * An active user with every membership, in one query: this runs on every signed-in request.
   * Undefined when the user does not exist or is deactivated.
   */
  async activeUserWithMemberships(userId: number, executor: Executor = this.db): Promise<CurrentUser | undefined> {
    const rows = (await executor('users as u')
      .leftJoin('memberships as m', 'm.user_id', 'u.id')
      .leftJoin('ics as i', 'i.id', 'm.ics_id')
      .leftJoin('places as p', 'p.id', 'm.place_id')
      .leftJoin('organisations as o', 'o.id', 'm.organisation_id')
      .where('u.id', userId)
      .where('u.is_active', true)
      .orderBy(['i.name', 'p.name', 'o.name', 'm.id'])
      .select('u.id as active_user_id', 'u.email as active_user_email', 'u.name as active_user_name', ...membershipColumns)) as ActiveUserRow[]
    return currentUserOf(rows)
  }

  async memberships(userId: number, executor: Executor = this.db): Promise<Membership[]> {
    return this.membershipRows(executor, { 'm.user_id': userId })
  }

  async hasMembership(userId: number, m: MembershipInput, executor: Executor): Promise<boolean> {
    const row = await executor('memberships')
      .where({ user_id: userId, role: m.role, ics_id: m.icsId })
      .where((q) => {
        if (m.placeId === null) q.whereNull('place_id')
        else q.where('place_id', m.placeId)
      })
      .where((q) => {
        if (m.organisationId === null) q.whereNull('organisation_id')
        else q.where('organisation_id', m.organisationId)
      })
      .first('id')
    return row !== undefined
  }

  async addMembership(userId: number, m: MembershipInput, executor: Executor): Promise<void> {
    if (await this.hasMembership(userId, m, executor)) return
    await executor('memberships').insert({
      user_id: userId,
      role: m.role,
      ics_id: m.icsId,
      place_id: m.placeId,
      organisation_id: m.organisationId,
      created_at: timestamp(),
    })
  }

  async updateMembership(membershipId: number, m: MembershipInput, executor: Executor): Promise<void> {
    await executor('memberships')
      .where({ id: membershipId })
      .update({ role: m.role, ics_id: m.icsId, place_id: m.placeId, organisation_id: m.organisationId })
  }

  async deleteMembership(membershipId: number, executor: Executor): Promise<void> {
    await executor('memberships').where({ id: membershipId }).delete()
  }

  async findMembership(membershipId: number, executor: Executor = this.db): Promise<{ id: number; userId: number; icsId: number } | undefined> {
    const row = (await executor('memberships').where({ id: membershipId }).first('id', 'user_id', 'ics_id')) as
      | { id: number; user_id: number; ics_id: number }
      | undefined
    return row && { id: row.id, userId: row.user_id, icsId: row.ics_id }
  }

  /**
   * A page of the people with a role in the ICS, by name, with every membership they hold there,
   * and how many people there are: three queries, no N+1.
   */
  async listForIcs(icsId: number, page: number, pageSize: number): Promise<{ users: IcsUserSummary[]; total: number }> {
    const params = { ics: icsId }
    const members = (db: Database, params: ShapedParams) => db('memberships').where({ ics_id: params.ics! }).select('user_id')
    const countRead = userCountReads(params, '', (db, params) => db('users as u').whereIn('u.id', members(db, params)).count({ n: '*' }).first())
    const pageRead = userPageReads(params, `${page}:${pageSize}`, (db, params) =>
      db('users as u')
        .whereIn('u.id', members(db, params))
        .orderBy([{ column: 'u.name' }, { column: 'u.id' }])
        .limit(pageSize)
        .offset((page - 1) * pageSize)
        .select(userSummaryColumns),
    )
    const [countRow] = await countRead(this.db, params)
    const users = await pageRead(this.db, params)
    return { users: await this.withMembershipsInIcs(icsId, users), total: Number(countRow?.n ?? 0) }
  }

  /** One person with a role in the ICS, with every membership they hold there; undefined if they have none. */
  async findInIcs(icsId: number, userId: number): Promise<IcsUserSummary | undefined> {
    const users = (await this.db('users as u')
      .where('u.id', userId)
      .whereIn('u.id', this.db('memberships').where({ ics_id: icsId }).select('user_id'))
      .select(userSummaryColumns)) as UserSummaryRow[]
    return (await this.withMembershipsInIcs(icsId, users))[0]
  }

  private async withMembershipsInIcs(icsId: number, users: UserSummaryRow[]): Promise<IcsUserSummary[]> {
    const memberships = new Map<number, Membership[]>()
    if (users.length > 0) {
      const params = { ics: icsId, ...idParams('user', users.map((u) => u.id)) }
      const read = membershipsOfUsersReads(params, '', (db, params) =>
        db('memberships as m')
          .join('ics as i', 'i.id', 'm.ics_id')
          .leftJoin('places as p', 'p.id', 'm.place_id')
          .leftJoin('organisations as o', 'o.id', 'm.organisation_id')
          .where('m.ics_id', params.ics!)
          .whereIn('m.user_id', idsOf('user', params))
          .orderBy(['i.name', 'p.name', 'o.name', 'm.id'])
          .select(membershipColumns),
      )
      const rows = await read(this.db, params)
      for (const m of rows.map(toMembership)) memberships.set(m.userId, [...(memberships.get(m.userId) ?? []), m])
    }
    return users.map((u) => ({
      id: u.id,
      email: u.email,
      name: u.name,
      isActive: toBoolean(u.is_active),
      lastSignInAt: toDateOrNull(u.last_sign_in_at),
      memberships: memberships.get(u.id) ?? [],
    }))
  }

  /** Who has a role in the ICS, by name: only what a list to choose a person from shows. */
  async namesInIcs(icsId: number): Promise<Array<{ id: number; name: string; email: string }>> {
    return (await this.db('users as u')
      .whereIn('u.id', this.db('memberships').where({ ics_id: icsId }).select('user_id'))
      .orderBy('u.name')
      .select('u.id', 'u.name', 'u.email')) as Array<{ id: number; name: string; email: string }>
  }

  /**
   * A key that changes whenever namesInIcs(icsId) may: the ICS's memberships' count and newest id
   * (ids are never reused, so a role added or removed changes one of them) and the ICS's results
   * version, which moves when a user's name changes (an email address never does).
   */
  async namesVersion(icsId: number): Promise<string> {
    const [row] = await readNamesVersion(this.db, { icsId })
    return `${String(row?.results ?? '')}:${String(row?.members ?? '')}:${String(row?.newest ?? '')}`
  }

  private async membershipRows(executor: Executor, where: Record<string, number>): Promise<Array<Membership & { userId: number }>> {
    const rows = (await executor('memberships as m')
      .join('ics as i', 'i.id', 'm.ics_id')
      .leftJoin('places as p', 'p.id', 'm.place_id')
      .leftJoin('organisations as o', 'o.id', 'm.organisation_id')
      .where(where)
      .orderBy(['i.name', 'p.name', 'o.name', 'm.id'])
      .select(membershipColumns)) as MembershipRow[]
    return rows.map(toMembership)
  }
}
