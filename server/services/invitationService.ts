import type { AppConfig } from '../config'
import type { Database } from '../db/connection'
import { hashPassword } from '../auth/passwords'
import { canGrantRole, isIcsLead, managedPlaceIds } from '../auth/access'
import { roleLabels, type Actor, type CurrentUser, type Role } from '../auth/types'
import { PlaceData } from '../data/places'
import type { Executor } from '../data/frameworks'
import { TokenData, type LinkProblem } from '../data/tokens'
import { InvitationData, type InvitationRecord } from '../data/invitations'
import { ResultsVersionData } from '../data/resultsVersion'
import { UserData, normaliseEmail, type MembershipInput } from '../data/users'
import { NotFoundError, ValidationError } from '../errors'
import type { InvitationInput } from '../forms/people'
import type { AuditService } from './auditService'
import type { Mail, Mailer } from './mailer'
import { grantableRoles, grantableScopes, grantableScopesVersion, resolveMembershipScope } from './membershipScope'
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

export class InvitationService {
  private readonly users: UserData
  private readonly places: PlaceData
  private readonly tokens: TokenData
  private readonly invitations: InvitationData
  private readonly versions: ResultsVersionData

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
    this.invitations = new InvitationData(db)
    this.versions = new ResultsVersionData(db)
  }

  /** The roles, places and organisations this user may grant in the ICS, for the forms that grant them. */
  grantableScopes(user: CurrentUser, icsId: number) {
    return grantableScopes(this.places, user, icsId)
  }

  /** The roles this user may grant in the ICS (grantableScopes' roles, without reading its places). */
  grantableRoles(user: CurrentUser, icsId: number): Role[] {
    return grantableRoles(user, icsId)
  }

  /** A key that changes whenever grantableScopes(user, icsId) may, to render its lists once per version. */
  grantableScopesVersion(user: CurrentUser, icsId: number): Promise<string> {
    return grantableScopesVersion(this.versions, user, icsId)
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
      const pending = await this.invitations.hasOpenInvitation(email, scope, new Date(now.getTime() - invitationLifetimeMs), trx)
      if (pending) {
        throw new ValidationError([
          { text: `${email} has already been invited to this role – resend that invitation from the list instead`, href: '#email' },
        ])
      }
      const [id] = await this.invitations.insert(
        [
          {
            email,
            name: input.name.trim(),
            role: scope.role,
            icsId,
            placeId: scope.placeId,
            organisationId: scope.organisationId,
            invitedBy: actor.user.id,
          },
        ],
        now,
        trx,
      )
      const issued = await this.tokens.issue('invitation', { invitationId: id! }, now, invitationLifetimeMs, trx)
      await this.audit.record(
        actor,
        {
          kind: 'invitation.sent',
          icsId,
          subjectType: 'invitation',
          subjectId: id!,
          details: { email, role: scope.role, placeId: scope.placeId, organisationId: scope.organisationId },
        },
        trx,
      )
      return { invitationId: id!, token: issued }
    })
    await this.sendInvitation(invitationId, token, actor.user.name)
    return invitationId
  }

  private async sendInvitation(invitationId: number, token: string, inviterName: string): Promise<void> {
    const invitation = (await this.invitations.find(invitationId))!
    await this.mailer.send(this.invitationMail(invitation, token, inviterName))
  }

  private invitationMail(
    invitation: Pick<InvitationRecord, 'email' | 'name' | 'role' | 'icsId' | 'icsName' | 'placeName' | 'organisationName'>,
    token: string,
    inviterName: string,
  ): Mail {
    return {
      to: invitation.email,
      icsId: invitation.icsId,
      ...invitationMessage({
        recipientName: invitation.name,
        inviterName,
        roleLabel: roleLabels[invitation.role],
        scope: scopeOf(invitation),
        placeOrIcsName: invitation.placeName ?? invitation.icsName,
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
    const names = await this.invitations.scopeNames(icsId, trx)
    const invitationIds = await this.invitations.insert(
      people.map((person) => ({
        email: normaliseEmail(person.email),
        name: person.name.trim(),
        role: person.role,
        icsId,
        placeId: person.placeId,
        organisationId: person.organisationId,
        invitedBy: inviter.userId,
      })),
      now,
      trx,
    )
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
          icsId,
          icsName: names.icsName,
          placeName: person.placeId === null ? null : (names.places.get(person.placeId) ?? null),
          organisationName: person.organisationId === null ? null : (names.organisations.get(person.organisationId) ?? null),
        },
        tokens[i]!,
        inviter.name,
      ),
    )
    const outboxIds = await this.mailer.enqueue(mails, trx)
    return { invitationIds, outboxIds, links: tokens.map((t) => this.invitationLink(t)) }
  }

  private toView(row: InvitationRecord): InvitationView {
    const now = this.clock()
    const status: InvitationStatus = row.acceptedAt
      ? 'accepted'
      : row.revokedAt
        ? 'revoked'
        : !row.latestExpiry || row.latestExpiry <= now
          ? 'expired'
          : 'pending'
    return {
      id: row.id,
      email: row.email,
      name: row.name,
      role: row.role,
      roleLabel: roleLabels[row.role],
      scope: scopeOf(row),
      placeId: row.placeId,
      status,
      createdAt: row.createdAt,
      lastSentAt: row.lastSentAt,
      invitedByName: row.invitedByName,
    }
  }

  /**
   * The invitations the actor may manage, newest first, a page at a time, and how many there
   * are: all of an ICS for its lead, their own place's for a place lead.
   */
  async list(actor: CurrentUser, icsId: number, page = 1, pageSize = 50): Promise<{ invitations: InvitationView[]; total: number }> {
    const filter = isIcsLead(actor, icsId) ? { icsId } : { icsId, placeIds: managedPlaceIds(actor) }
    const { invitations, total } = await this.invitations.list(filter, page, pageSize)
    return { invitations: invitations.map((r) => this.toView(r)), total }
  }

  private async findManageable(actor: CurrentUser, invitationId: number): Promise<InvitationRecord> {
    const row = await this.invitations.find(invitationId)
    const manageable =
      row &&
      (isIcsLead(actor, row.icsId) || (row.role === 'partner' && row.placeId !== null && managedPlaceIds(actor).includes(row.placeId)))
    if (!row || !manageable) throw new NotFoundError()
    return row
  }

  async resend(actor: Actor, invitationId: number): Promise<void> {
    const row = await this.findManageable(actor.user, invitationId)
    if (row.acceptedAt || row.revokedAt)
      throw new ValidationError([{ text: 'Only an invitation that has not been accepted or revoked can be resent', href: '#invitations' }])
    const now = this.clock()
    const token = await this.db.transaction(async (trx) => {
      await this.tokens.revokeFor({ invitationId, purpose: 'invitation' }, now, trx)
      const issued = await this.tokens.issue('invitation', { invitationId }, now, invitationLifetimeMs, trx)
      await this.invitations.markResent(invitationId, now, trx)
      await this.audit.record(
        actor,
        {
          kind: 'invitation.resent',
          icsId: row.icsId,
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
    if (row.acceptedAt)
      throw new ValidationError([
        { text: 'An accepted invitation cannot be revoked – change the person’s role instead', href: '#invitations' },
      ])
    if (row.revokedAt) return
    const now = this.clock()
    await this.db.transaction(async (trx) => {
      await this.invitations.markRevoked(invitationId, now, trx)
      await this.tokens.revokeFor({ invitationId, purpose: 'invitation' }, now, trx)
      await this.audit.record(
        actor,
        {
          kind: 'invitation.revoked',
          icsId: row.icsId,
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
    const row = await this.invitations.find(record.invitationId)
    if (!row || row.revokedAt) return { ok: false, problem: 'revoked' }
    if (row.acceptedAt) return { ok: false, problem: 'used' }
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
    invitation: Pick<InvitationRecord, 'invitedBy' | 'role' | 'icsId' | 'placeId'>,
    executor: Executor = this.db,
  ): Promise<boolean> {
    if (invitation.invitedBy === null) return true
    const sender = await this.users.activeUserWithMemberships(invitation.invitedBy, executor)
    return sender !== undefined && canGrantRole(sender, { role: invitation.role, icsId: invitation.icsId, placeId: invitation.placeId })
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
      const invitation = await this.invitations.find(record.invitationId, trx)
      if (!invitation || invitation.revokedAt) return { ok: false as const, problem: 'revoked' as const }
      if (invitation.acceptedAt) return { ok: false as const, problem: 'used' as const }
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
        { role: invitation.role, icsId: invitation.icsId, placeId: invitation.placeId, organisationId: invitation.organisationId },
        trx,
      )
      await this.invitations.markAccepted(invitation.id, userId, now, trx)
      await this.audit.recordFrom(
        { userId, ip },
        {
          kind: 'invitation.accepted',
          icsId: invitation.icsId,
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

function scopeOf(row: { icsName: string; placeName: string | null; organisationName: string | null }): string {
  if (row.organisationName) return `${row.organisationName}, ${row.placeName}`
  if (row.placeName) return `${row.placeName}, ${row.icsName}`
  return row.icsName
}
