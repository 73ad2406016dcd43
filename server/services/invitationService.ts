import type { Knex } from 'knex'
import type { AppConfig } from '../config'
import type { Database } from '../db/connection'
import { timestamp, toDate, toDateOrNull } from '../db/values'
import { hashPassword } from '../auth/passwords'
import { canGrantRole, isIcsLead, managedPlaceIds } from '../auth/access'
import { roleLabels, type Actor, type CurrentUser, type Role } from '../auth/types'
import { PlaceData } from '../data/places'
import type { Executor } from '../data/frameworks'
import { TokenData, type LinkProblem } from '../data/tokens'
import { UserData, normaliseEmail, type MembershipInput } from '../data/users'
import { NotFoundError, ValidationError } from '../errors'
import type { InvitationInput } from '../forms/people'
import type { AuditService } from './auditService'
import type { Mail, Mailer } from './mailer'
import { resolveMembershipScope } from './membershipScope'
import { invitation as invitationMessage } from '../emails/messages'

export const invitationLifetimeMs = 14 * 24 * 60 * 60 * 1000

export type InvitationStatus = 'pending' | 'accepted' | 'expired' | 'revoked'

export interface InvitationView {
  id: number
  email: string
  name: string
  role: Role
  roleLabel: string
  scope: string
  placeId: number | null
  status: InvitationStatus
  createdAt: Date
  lastSentAt: Date
  invitedByName: string | null
}

export interface PendingInvitation {
  invitationId: number
  tokenId: number
  email: string
  name: string
  roleLabel: string
  scope: string
  /** True when the e-mail already has an account: accepting adds the role, no new password. */
  existingAccount: boolean
}

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

export class InvitationService {
  private readonly users: UserData
  private readonly places: PlaceData
  private readonly tokens: TokenData

  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly mailer: Mailer,
    private readonly clock: () => Date,
  ) {
    this.users = new UserData(db)
    this.places = new PlaceData(db)
    this.tokens = new TokenData(db)
  }

  /**
   * Checks that the scope fits the role and that the inviter may grant it: an ICS lead any
   * role in their ICS, a place lead only partners of their own place.
   */
  private async resolveScope(actor: CurrentUser, icsId: number, input: InvitationInput): Promise<MembershipInput> {
    const scope = await resolveMembershipScope(this.places, icsId, input)
    if (!canGrantRole(actor, scope))
      throw new ValidationError([{ text: 'You can only invite partner respondents for your own place', href: '#role' }])
    return scope
  }

  async invite(actor: Actor, icsId: number, input: InvitationInput): Promise<number> {
    const scope = await this.resolveScope(actor.user, icsId, input)
    const email = normaliseEmail(input.email)
    const now = this.clock()
    const { invitationId, token } = await this.db.transaction(async (trx) => {
      const existingUser = await this.users.findByEmail(email, trx)
      if (existingUser && (await this.users.hasMembership(existingUser.id, scope, trx))) {
        throw new ValidationError([{ text: `${email} already has this role`, href: '#email' }])
      }
      const pending = await trx('invitations')
        .where({ email, role: scope.role, ics_id: icsId })
        .where((q) => (scope.placeId === null ? q.whereNull('place_id') : q.where('place_id', scope.placeId)))
        .where((q) => (scope.organisationId === null ? q.whereNull('organisation_id') : q.where('organisation_id', scope.organisationId)))
        .whereNull('accepted_at')
        .whereNull('revoked_at')
        .where('last_sent_at', '>', timestamp(new Date(now.getTime() - invitationLifetimeMs)))
        .first('id')
      if (pending) {
        throw new ValidationError([
          { text: `${email} has already been invited to this role – resend that invitation from the list instead`, href: '#email' },
        ])
      }
      const [row] = (await trx('invitations').insert(
        {
          email,
          name: input.name.trim(),
          role: scope.role,
          ics_id: icsId,
          place_id: scope.placeId,
          organisation_id: scope.organisationId,
          invited_by: actor.user.id,
          created_at: timestamp(now),
          last_sent_at: timestamp(now),
        },
        ['id'],
      )) as Array<{ id: number }>
      const id = row!.id
      const issued = await this.tokens.issue('invitation', { invitationId: id }, now, invitationLifetimeMs, trx)
      await this.audit.record(
        actor,
        {
          kind: 'invitation.sent',
          icsId,
          subjectType: 'invitation',
          subjectId: id,
          details: { email, role: scope.role, placeId: scope.placeId, organisationId: scope.organisationId },
        },
        trx,
      )
      return { invitationId: id, token: issued }
    })
    await this.sendInvitation(invitationId, token, actor.user.name)
    return invitationId
  }

  private async sendInvitation(invitationId: number, token: string, inviterName: string): Promise<void> {
    const invitation = (await this.query().where('n.id', invitationId).first()) as InvitationRow
    await this.mailer.send(this.invitationMail(invitation, token, inviterName))
  }

  private invitationMail(
    invitation: Pick<InvitationRow, 'email' | 'name' | 'role' | 'ics_id' | 'ics_name' | 'place_name' | 'organisation_name'>,
    token: string,
    inviterName: string,
  ): Mail {
    return {
      to: invitation.email,
      icsId: invitation.ics_id,
      ...invitationMessage({
        recipientName: invitation.name,
        inviterName,
        roleLabel: roleLabels[invitation.role],
        scope: scopeOf(invitation),
        placeOrIcsName: invitation.place_name ?? invitation.ics_name,
        link: this.invitationLink(token),
      }),
    }
  }

  invitationLink(token: string): string {
    return `${this.config.baseUrl}/invitations/${token}`
  }

  /**
   * Invites many people as part of the caller's transaction (a new ICS's first lead, the
   * contacts of a CSV import): the invitations, their tokens, an audit event each, and their
   * mails queued in the outbox. The caller has checked every scope and that nobody is invited
   * twice; deliver the returned outbox ids once the transaction has committed.
   */
  async inviteMany(
    trx: Executor,
    inviter: { userId: number | null; name: string },
    icsId: number,
    people: Array<{ email: string; name: string; role: Role; placeId: number | null; organisationId: number | null }>,
    ip: string | undefined,
  ): Promise<{ invitationIds: number[]; outboxIds: number[]; links: string[] }> {
    if (people.length === 0) return { invitationIds: [], outboxIds: [], links: [] }
    const now = this.clock()
    const ics = (await trx('ics').where({ id: icsId }).first('name')) as { name: string }
    const placeNames = new Map(
      ((await trx('places').where({ ics_id: icsId }).select('id', 'name')) as Array<{ id: number; name: string }>).map((p) => [
        p.id,
        p.name,
      ]),
    )
    const organisationNames = new Map(
      (
        (await trx('organisations as o')
          .join('places as p', 'p.id', 'o.place_id')
          .where('p.ics_id', icsId)
          .select('o.id', 'o.name')) as Array<{
          id: number
          name: string
        }>
      ).map((o) => [o.id, o.name]),
    )
    const invitationIds: number[] = []
    for (let i = 0; i < people.length; i += 500) {
      const rows = (await trx('invitations').insert(
        people.slice(i, i + 500).map((person) => ({
          email: normaliseEmail(person.email),
          name: person.name.trim(),
          role: person.role,
          ics_id: icsId,
          place_id: person.placeId,
          organisation_id: person.organisationId,
          invited_by: inviter.userId,
          created_at: timestamp(now),
          last_sent_at: timestamp(now),
        })),
        ['id'],
      )) as Array<{ id: number }>
      // Ids come back in the order the rows were given (one statement, on SQLite and PostgreSQL alike); sorted to be sure.
      invitationIds.push(...rows.map((r) => r.id).sort((a, b) => a - b))
    }
    const tokens = await this.tokens.issueForInvitations(invitationIds, now, invitationLifetimeMs, trx)
    await this.audit.recordMany(
      { userId: inviter.userId, ip },
      people.map((person, i) => ({
        kind: 'invitation.sent',
        icsId,
        subjectType: 'invitation',
        subjectId: invitationIds[i]!,
        details: { email: normaliseEmail(person.email), role: person.role, placeId: person.placeId, organisationId: person.organisationId },
      })),
      trx,
    )
    const mails = people.map((person, i) =>
      this.invitationMail(
        {
          email: normaliseEmail(person.email),
          name: person.name.trim(),
          role: person.role,
          ics_id: icsId,
          ics_name: ics.name,
          place_name: person.placeId === null ? null : (placeNames.get(person.placeId) ?? null),
          organisation_name: person.organisationId === null ? null : (organisationNames.get(person.organisationId) ?? null),
        },
        tokens[i]!,
        inviter.name,
      ),
    )
    const outboxIds = await this.mailer.enqueue(mails, trx)
    return { invitationIds, outboxIds, links: tokens.map((t) => this.invitationLink(t)) }
  }

  private query() {
    const latestExpiry = this.db('one_time_tokens as t')
      .whereRaw('t.invitation_id = n.id')
      .whereNull('t.revoked_at')
      .max('t.expires_at')
      .as('latest_expiry')
    return this.db('invitations as n')
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

  private toView(row: InvitationRow): InvitationView {
    const now = this.clock()
    const expiry = toDateOrNull(row.latest_expiry)
    const status: InvitationStatus = row.accepted_at
      ? 'accepted'
      : row.revoked_at
        ? 'revoked'
        : !expiry || expiry <= now
          ? 'expired'
          : 'pending'
    return {
      id: row.id,
      email: row.email,
      name: row.name,
      role: row.role,
      roleLabel: roleLabels[row.role],
      scope: scopeOf(row),
      placeId: row.place_id,
      status,
      createdAt: toDate(row.created_at),
      lastSentAt: toDate(row.last_sent_at),
      invitedByName: row.invited_by_name,
    }
  }

  /**
   * The invitations the actor may manage, newest first, a page at a time, and how many there
   * are: all of an ICS for its lead, their own place's for a place lead.
   */
  async list(actor: CurrentUser, icsId: number, page = 1, pageSize = 50): Promise<{ invitations: InvitationView[]; total: number }> {
    const scoped = <Q extends Knex.QueryBuilder>(query: Q): Q =>
      (isIcsLead(actor, icsId)
        ? query.where('n.ics_id', icsId)
        : query.where('n.ics_id', icsId).whereIn('n.place_id', managedPlaceIds(actor))) as Q
    const [count, rows] = await Promise.all([
      scoped(this.db('invitations as n')).count({ n: '*' }).first() as Promise<{ n: unknown } | undefined>,
      scoped(this.query())
        .orderBy([
          { column: 'n.created_at', order: 'desc' },
          { column: 'n.id', order: 'desc' },
        ])
        .limit(pageSize)
        .offset((page - 1) * pageSize) as Promise<InvitationRow[]>,
    ])
    return { invitations: rows.map((r) => this.toView(r)), total: Number(count?.n ?? 0) }
  }

  private async findManageable(actor: CurrentUser, invitationId: number): Promise<InvitationRow> {
    const row = (await this.query().where('n.id', invitationId).first()) as InvitationRow | undefined
    const manageable =
      row &&
      (isIcsLead(actor, row.ics_id) || (row.role === 'partner' && row.place_id !== null && managedPlaceIds(actor).includes(row.place_id)))
    if (!row || !manageable) throw new NotFoundError()
    return row
  }

  async resend(actor: Actor, invitationId: number): Promise<void> {
    const row = await this.findManageable(actor.user, invitationId)
    if (row.accepted_at || row.revoked_at)
      throw new ValidationError([{ text: 'Only an invitation that has not been accepted or revoked can be resent', href: '#invitations' }])
    const now = this.clock()
    const token = await this.db.transaction(async (trx) => {
      await this.tokens.revokeFor({ invitationId, purpose: 'invitation' }, now, trx)
      const issued = await this.tokens.issue('invitation', { invitationId }, now, invitationLifetimeMs, trx)
      await trx('invitations')
        .where({ id: invitationId })
        .update({ last_sent_at: timestamp(now) })
      await this.audit.record(
        actor,
        {
          kind: 'invitation.resent',
          icsId: row.ics_id,
          subjectType: 'invitation',
          subjectId: invitationId,
          details: { email: row.email },
        },
        trx,
      )
      return issued
    })
    await this.sendInvitation(invitationId, token, actor.user.name)
  }

  async revoke(actor: Actor, invitationId: number): Promise<void> {
    const row = await this.findManageable(actor.user, invitationId)
    if (row.accepted_at)
      throw new ValidationError([
        { text: 'An accepted invitation cannot be revoked – change the person’s role instead', href: '#invitations' },
      ])
    if (row.revoked_at) return
    const now = this.clock()
    await this.db.transaction(async (trx) => {
      await trx('invitations')
        .where({ id: invitationId })
        .update({ revoked_at: timestamp(now) })
      await this.tokens.revokeFor({ invitationId, purpose: 'invitation' }, now, trx)
      await this.audit.record(
        actor,
        {
          kind: 'invitation.revoked',
          icsId: row.ics_id,
          subjectType: 'invitation',
          subjectId: invitationId,
          details: { email: row.email },
        },
        trx,
      )
    })
  }

  /** What an invitation link offers, or why it cannot be used. */
  async check(token: string): Promise<{ ok: true; invitation: PendingInvitation } | { ok: false; problem: LinkProblem }> {
    const record = await this.tokens.find(token, 'invitation')
    const problem = TokenData.problemWith(record, this.clock())
    if (problem || !record?.invitationId) return { ok: false, problem: problem ?? 'unknown' }
    const row = (await this.query().where('n.id', record.invitationId).first()) as InvitationRow | undefined
    if (!row || row.revoked_at) return { ok: false, problem: 'revoked' }
    if (row.accepted_at) return { ok: false, problem: 'used' }
    if (!(await this.senderMayStillGrant(row))) return { ok: false, problem: 'revoked' }
    const existing = await this.users.findByEmail(row.email)
    if (existing && !existing.isActive) return { ok: false, problem: 'deactivated' }
    return {
      ok: true,
      invitation: {
        invitationId: row.id,
        tokenId: record.id,
        email: row.email,
        name: row.name,
        roleLabel: roleLabels[row.role],
        scope: scopeOf(row),
        existingAccount: Boolean(existing?.passwordHash),
      },
    }
  }

  /**
   * Whether the invitation's sender may still grant its role: an invitation from someone since
   * deactivated, or who no longer leads the place, grants nothing. Invitations with no sender
   * (an ICS's first lead, invited from the command line) stand on their own.
   */
  private async senderMayStillGrant(
    invitation: { invited_by?: number | null; role: Role; ics_id: number; place_id: number | null },
    executor: Executor = this.db,
  ): Promise<boolean> {
    if (invitation.invited_by === null || invitation.invited_by === undefined) return true
    const sender = await this.users.activeUserWithMemberships(invitation.invited_by, executor)
    return sender !== undefined && canGrantRole(sender, { role: invitation.role, icsId: invitation.ics_id, placeId: invitation.place_id })
  }

  /**
   * Accepts an invitation exactly once: creates the account (or adds the role to an existing
   * one), sets the password for a new account, and returns the user id to sign in. It never
   * brings back a deactivated account: only an ICS lead reactivates one, knowing every role it
   * holds, so an invitation cannot be used to restore roles its sender could not grant.
   */
  async accept(
    token: string,
    password: string | undefined,
    ip: string | undefined,
  ): Promise<{ ok: true; userId: number } | { ok: false; problem: LinkProblem }> {
    const now = this.clock()
    const passwordHash = password ? await hashPassword(password) : undefined
    const result = await this.db.transaction(async (trx) => {
      const record = await this.tokens.find(token, 'invitation', trx)
      const problem = TokenData.problemWith(record, now)
      if (problem || !record?.invitationId) return { ok: false as const, problem: problem ?? ('unknown' as const) }
      const invitation = (await trx('invitations').where({ id: record.invitationId }).first()) as
        | {
            id: number
            email: string
            name: string
            role: Role
            ics_id: number
            place_id: number | null
            organisation_id: number | null
            invited_by: number | null
            accepted_at: unknown
            revoked_at: unknown
          }
        | undefined
      if (!invitation || invitation.revoked_at) return { ok: false as const, problem: 'revoked' as const }
      if (invitation.accepted_at) return { ok: false as const, problem: 'used' as const }
      if (!(await this.senderMayStillGrant(invitation, trx))) return { ok: false as const, problem: 'revoked' as const }
      const existing = await this.users.findByEmail(invitation.email, trx)
      // Checked before the link is used up, so it still works once an ICS lead has reactivated the account.
      if (existing && !existing.isActive) return { ok: false as const, problem: 'deactivated' as const }
      if (!existing?.passwordHash && !passwordHash) return { ok: false as const, problem: 'unknown' as const }
      if (!(await this.tokens.consume(record.id, now, trx))) return { ok: false as const, problem: 'used' as const }
      let userId: number
      if (existing?.passwordHash) {
        userId = existing.id
      } else if (existing) {
        userId = existing.id
        await this.users.setPassword(userId, passwordHash!, trx)
      } else {
        userId = await this.users.create({ email: invitation.email, name: invitation.name, passwordHash: passwordHash! }, trx)
      }
      await this.users.addMembership(
        userId,
        { role: invitation.role, icsId: invitation.ics_id, placeId: invitation.place_id, organisationId: invitation.organisation_id },
        trx,
      )
      await trx('invitations')
        .where({ id: invitation.id })
        .update({ accepted_at: timestamp(now), accepted_user_id: userId })
      await this.audit.recordFrom(
        { userId, ip },
        {
          kind: 'invitation.accepted',
          icsId: invitation.ics_id,
          subjectType: 'invitation',
          subjectId: invitation.id,
          details: { email: invitation.email, role: invitation.role },
        },
        trx,
      )
      return { ok: true as const, userId }
    })
    return result
  }
}

function scopeOf(row: { ics_name: string; place_name: string | null; organisation_name: string | null }): string {
  if (row.organisation_name) return `${row.organisation_name}, ${row.place_name}`
  if (row.place_name) return `${row.place_name}, ${row.ics_name}`
  return row.ics_name
}
