import type { Database } from '../db/connection'
import { AuditData, type AuditEventRow, type AuditFilter } from '../data/audit'
import type { Executor } from '../data/frameworks'
import type { Actor } from '../auth/types'

/** Every kind of event the audit trail records; the filter on /admin/audit offers these. */
export const auditKinds = {
  'sign-in.succeeded': 'Signed in',
  'sign-in.failed': 'Sign-in failed',
  'sign-in.locked': 'Account locked after failed sign-ins',
  'sign-out': 'Signed out',
  'password.reset-requested': 'Password reset requested',
  'password.reset': 'Password reset',
  'invitation.sent': 'Invitation sent',
  'invitation.resent': 'Invitation resent',
  'invitation.revoked': 'Invitation revoked',
  'invitation.accepted': 'Invitation accepted',
  'membership.changed': 'Role or scope changed',
  'membership.removed': 'Role removed',
  'user.deactivated': 'User deactivated',
  'user.reactivated': 'User reactivated',
  'answer.changed': 'Answer changed',
  'domain.completed': 'Domain marked complete',
  'response.submitted': 'Self-assessment submitted',
  'response.reopened': 'Self-assessment reopened',
  'round.extended': 'Round deadline extended',
  'position.agreed': 'Place position agreed',
  'place-return.submitted': 'Place return submitted',
  'place-return.reopened': 'Place return reopened',
  'criterion.moderated': 'Criterion moderated',
  'decision.recorded': 'Delegation decision recorded',
  'action.created': 'Development action added',
  'action.updated': 'Development action changed',
  'ics.created': 'ICS created',
  'place.created': 'Place added',
  'place.changed': 'Place renamed',
  'place.retired': 'Place retired',
  'place.reinstated': 'Place reinstated',
  'organisation.created': 'Partner organisation added',
  'organisation.changed': 'Partner organisation changed',
  'organisation.retired': 'Partner organisation retired',
  'organisation.reinstated': 'Partner organisation reinstated',
  'import.completed': 'Places, organisations and contacts imported',
  'round.created': 'Round created',
  'round.changed': 'Round changed before it opened',
  'round.opened': 'Round opened',
  'round.closed': 'Round closed',
  'round.reminders-changed': 'Round reminder days changed',
  'reminder.sent-now': 'Reminders sent now',
  'framework.uploaded': 'Framework version uploaded',
  'framework.draft-created': 'Framework draft started',
  'framework.draft-changed': 'Framework draft changed',
  'results.published': 'Round results published',
  'api-token.created': 'API token created',
  'api-token.revoked': 'API token revoked',
  'api-token.refused': 'API token refused',
  'export.downloaded': 'Export downloaded',
} as const

export type AuditKind = keyof typeof auditKinds

/** What happened, to what: an event as a service describes it. */
export interface AuditEvent {
  kind: AuditKind
  icsId: number | null
  subjectType?: string
  subjectId?: number | string
  details?: Record<string, unknown>
}

/** Who did it, where no one is signed in (a sign-in attempt, a password reset): the account if known, and the address. */
export interface AuditOrigin {
  userId: number | null
  ip: string | undefined
}

export type { AuditFilter }

export interface AnswerHistoryEntry {
  occurredAt: Date
  actorName: string | null
  old: Record<string, unknown> | null
  new: Record<string, unknown>
}

export type AuditEventView = AuditEventRow & { kindLabel: string }

export class AuditService {
  private readonly data: AuditData

  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {
    this.data = new AuditData(db)
  }

  /** Records an event done by a signed-in user, as part of the caller's transaction when given one. */
  async record(actor: Actor, event: AuditEvent, executor: Executor = this.db): Promise<void> {
    await this.recordFrom({ userId: actor.user.id, ip: actor.ip }, event, executor)
  }

  /** Records an event of someone not signed in: a sign-in attempt, a password reset, accepting an invitation. */
  async recordFrom(origin: AuditOrigin, event: AuditEvent, executor: Executor = this.db): Promise<void> {
    await this.recordMany(origin, [event], executor)
  }

  /** Records many events from one origin at once (a batch of invitations), as part of the caller's transaction. */
  async recordMany(origin: AuditOrigin, events: AuditEvent[], executor: Executor = this.db): Promise<void> {
    const occurredAt = this.clock()
    await this.data.insert(
      events.map((event) => ({
        occurredAt,
        actorUserId: origin.userId,
        icsId: event.icsId,
        kind: event.kind,
        subjectType: event.subjectType ?? null,
        subjectId: event.subjectId === undefined ? null : String(event.subjectId),
        details: event.details ?? null,
        ip: origin.ip ?? null,
      })),
      executor,
    )
  }

  /**
   * Events of the given ICSs, plus sign-in events of their members (which belong to no ICS),
   * newest first, one page at a time.
   */
  async list(filter: AuditFilter): Promise<{ events: AuditEventView[]; total: number }> {
    const { events, total } = await this.data.list(filter)
    // Field by field rather than by spreading each row: a page maps fifty at a time.
    const labelled = events.map((e): AuditEventView => ({
      id: e.id,
      occurredAt: e.occurredAt,
      kind: e.kind,
      kindLabel: (auditKinds as Record<string, string>)[e.kind] ?? e.kind,
      actorName: e.actorName,
      actorEmail: e.actorEmail,
      subjectType: e.subjectType,
      subjectId: e.subjectId,
      details: e.details,
      ip: e.ip,
    }))
    return { total, events: labelled }
  }

  /** Every recorded change of one answer, oldest first. */
  async answerHistory(responseId: number, criterionCode: string): Promise<AnswerHistoryEntry[]> {
    const events = await this.data.historyOf('answer', answerSubjectId(responseId, criterionCode))
    return events.map((e) => {
      const details = e.details as { old: Record<string, unknown> | null; new: Record<string, unknown> }
      return { occurredAt: e.occurredAt, actorName: e.actorName, old: details.old, new: details.new }
    })
  }
}

export function answerSubjectId(responseId: number, criterionCode: string): string {
  return `${responseId}:${criterionCode}`
}
