import type { Database } from '../db/connection'
import { isIcsLead } from '../auth/access'
import { roleLabels, type Actor, type CurrentUser, type Role } from '../auth/types'
import type { DatabaseSessionStore } from '../data/sessionStore'
import { PlaceData } from '../data/places'
import { UserData, type IcsUserSummary } from '../data/users'
import { NotFoundError, ValidationError } from '../errors'
import type { MembershipChange } from '../forms/people'
import type { AuditService } from './auditService'
import { grantableScopes, resolveMembershipScope } from './membershipScope'

/** An ICS lead's management of the people in their ICS: roles, scopes, deactivation. */
export class UserAdminService {
  private readonly users: UserData
  private readonly places: PlaceData

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly sessions: DatabaseSessionStore,
    private readonly clock: () => Date,
  ) {
    this.users = new UserData(db)
    this.places = new PlaceData(db)
  }

  /** The roles, places and organisations this user may grant in the ICS, for the forms that grant them. */
  grantableScopes(user: CurrentUser, icsId: number) {
    return grantableScopes(this.places, user, icsId)
  }

  private assertLead(actor: CurrentUser, icsId: number): void {
    if (!isIcsLead(actor, icsId)) throw new NotFoundError()
  }

  /** A page of the ICS's people by name, with their roles there, and how many there are. */
  async list(actor: CurrentUser, icsId: number, page: number, pageSize: number): Promise<{ users: IcsUserSummary[]; total: number }> {
    this.assertLead(actor, icsId)
    return this.users.listForIcs(icsId, page, pageSize)
  }

  /** The ICS's people by name, for choosing one (the audit trail's filter): without their roles. */
  async names(actor: CurrentUser, icsId: number): Promise<Array<{ id: number; name: string; email: string }>> {
    this.assertLead(actor, icsId)
    return this.users.namesInIcs(icsId)
  }
  /** A key that changes whenever names(actor, icsId) may, to render the list once per version. */
  async namesVersion(actor: CurrentUser, icsId: number): Promise<string> {
    this.assertLead(actor, icsId)
    return this.users.namesVersion(icsId)
  }

  async get(actor: CurrentUser, icsId: number, userId: number): Promise<IcsUserSummary> {
    this.assertLead(actor, icsId)
    const user = await this.users.findInIcs(icsId, userId)
    if (!user) throw new NotFoundError()
    return user
  }

  /** Changes one of a user's memberships: its role and scope, within the same ICS. */
  async changeMembership(actor: Actor, icsId: number, userId: number, membershipId: number, input: MembershipChange): Promise<void> {
    this.assertLead(actor.user, icsId)
    const membership = await this.users.findMembership(membershipId)
    // The membership must be this user's, as the address says: another person's is "not found".
    if (!membership || membership.icsId !== icsId || membership.userId !== userId) throw new NotFoundError()
    const scope = await resolveMembershipScope(this.places, icsId, input)
    if (
      membership.userId === actor.user.id &&
      scope.role !== 'ics_lead' &&
      actor.user.memberships.filter((m) => m.role === 'ics_lead' && m.icsId === icsId).length === 1
    ) {
      throw new ValidationError([{ text: 'You cannot remove your own ICS lead role – ask another ICS lead to do it', href: '#role' }])
    }
    await this.db.transaction(async (trx) => {
      await this.users.updateMembership(membershipId, scope, trx)
      await this.audit.record(
        actor,
        {
          kind: 'membership.changed',
          icsId,
          subjectType: 'user',
          subjectId: membership.userId,
          details: { membershipId, role: scope.role, placeId: scope.placeId, organisationId: scope.organisationId },
        },
        trx,
      )
    })
  }

  /**
   * Deactivates an account whose roles are all in this ICS, and ends its sessions at once.
   * Someone who also works in another ICS keeps their account there.
   */
  async deactivate(actor: Actor, icsId: number, userId: number): Promise<void> {
    this.assertLead(actor.user, icsId)
    if (userId === actor.user.id) throw new ValidationError([{ text: 'You cannot deactivate your own account', href: '#deactivate' }])
    const memberships = await this.users.memberships(userId)
    if (!memberships.some((m) => m.icsId === icsId)) throw new NotFoundError()
    if (memberships.some((m) => m.icsId !== icsId)) {
      throw new ValidationError([
        {
          text: 'This person also has a role in another ICS – change their roles here instead of deactivating the account',
          href: '#deactivate',
        },
      ])
    }
    await this.db.transaction(async (trx) => {
      await this.users.setActive(userId, false, this.clock(), trx)
      await this.audit.record(actor, { kind: 'user.deactivated', icsId, subjectType: 'user', subjectId: userId }, trx)
    })
    await this.sessions.destroyAllForUser(userId)
  }

  async reactivate(actor: Actor, icsId: number, userId: number): Promise<void> {
    this.assertLead(actor.user, icsId)
    const memberships = await this.users.memberships(userId)
    if (!memberships.some((m) => m.icsId === icsId)) throw new NotFoundError()
    await this.db.transaction(async (trx) => {
      await this.users.setActive(userId, true, this.clock(), trx)
      await this.audit.record(actor, { kind: 'user.reactivated', icsId, subjectType: 'user', subjectId: userId }, trx)
    })
  }

  roleOptions(): Array<{ value: Role; text: string }> {
    return (Object.keys(roleLabels) as Role[]).map((value) => ({ value, text: roleLabels[value] }))
  }
}
