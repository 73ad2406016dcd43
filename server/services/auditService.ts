import type { Database } from '../db/connection'
import { timestamp, toDate } from '../db/values'
import type { Executor } from '../data/frameworks'

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
  'results.published': 'Round results published',
  'api-token.created': 'API token created',
  'api-token.revoked': 'API token revoked',
  'api-token.refused': 'API token refused',
  'export.downloaded': 'Export downloaded',
} as const

export type AuditKind = keyof typeof auditKinds

export interface AuditEntry {
  kind: AuditKind
  actorUserId: number | null
  icsId: number | null
  subjectType?: string
  subjectId?: number | string
  details?: Record<string, unknown>
  ip?: string | undefined
}

export interface AuditFilter {
  icsIds: number[]
  userId?: number | undefined
  kind?: string | undefined
  /** Events at or after this instant. */
  from?: Date | undefined
  /** Events before this instant (the start of the day after the last day asked for). */
  before?: Date | undefined
  page: number
  pageSize: number
}

export interface AnswerHistoryEntry {
  occurredAt: Date
  actorName: string | null
  old: Record<string, unknown> | null
  new: Record<string, unknown>
}

export interface AuditEventView {
  id: number
  occurredAt: Date
  kind: string
  kindLabel: string
  actorName: string | null
  actorEmail: string | null
  subjectType: string | null
  subjectId: string | null
  details: Record<string, unknown>
  ip: string | null
}

export class AuditService {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date,
  ) {}

  async record(entry: AuditEntry, executor: Executor = this.db): Promise<void> {
    await executor('audit_events').insert({
      occurred_at: timestamp(this.clock()),
      actor_user_id: entry.actorUserId,
      ics_id: entry.icsId,
      kind: entry.kind,
      subject_type: entry.subjectType ?? null,
      subject_id: entry.subjectId === undefined ? null : String(entry.subjectId),
      details: entry.details ? JSON.stringify(entry.details) : null,
      ip: entry.ip ?? null,
    })
  }

  /**
   * Events of the given ICSs, plus sign-in events of their members (which belong to no ICS),
   * newest first, one page at a time.
   */
  async list(filter: AuditFilter): Promise<{ events: AuditEventView[]; total: number }> {
    const members = this.db('memberships').whereIn('ics_id', filter.icsIds).select('user_id')
    const query = this.db('audit_events as e')
      .leftJoin('users as u', 'u.id', 'e.actor_user_id')
      .where((q) =>
        q.whereIn('e.ics_id', filter.icsIds).orWhere((inner) => inner.whereNull('e.ics_id').whereIn('e.actor_user_id', members)),
      )
    if (filter.userId !== undefined) query.where('e.actor_user_id', filter.userId)
    if (filter.kind) query.where('e.kind', filter.kind)
    if (filter.from) query.where('e.occurred_at', '>=', timestamp(filter.from))
    if (filter.before) query.where('e.occurred_at', '<', timestamp(filter.before))
    const countRow = (await query.clone().count({ n: '*' }).first()) as { n: unknown } | undefined
    const rows = (await query
      .orderBy([
        { column: 'e.occurred_at', order: 'desc' },
        { column: 'e.id', order: 'desc' },
      ])
      .limit(filter.pageSize)
      .offset((filter.page - 1) * filter.pageSize)
      .select('e.id', 'e.occurred_at', 'e.kind', 'u.name', 'u.email', 'e.subject_type', 'e.subject_id', 'e.details', 'e.ip')) as Array<{
      id: number | string
      occurred_at: unknown
      kind: string
      name: string | null
      email: string | null
      subject_type: string | null
      subject_id: string | null
      details: string | null
      ip: string | null
    }>
    return {
      total: Number(countRow?.n ?? 0),
      events: rows.map((r) => ({
        id: Number(r.id),
        occurredAt: toDate(r.occurred_at),
        kind: r.kind,
        kindLabel: (auditKinds as Record<string, string>)[r.kind] ?? r.kind,
        actorName: r.name,
        actorEmail: r.email,
        subjectType: r.subject_type,
        subjectId: r.subject_id,
        details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : {},
        ip: r.ip,
      })),
    }
  }

  /** Every recorded change of one answer, oldest first. */
  async answerHistory(responseId: number, criterionCode: string): Promise<AnswerHistoryEntry[]> {
    const rows = (await this.db('audit_events as e')
      .leftJoin('users as u', 'u.id', 'e.actor_user_id')
      .where({ 'e.subject_type': 'answer', 'e.subject_id': answerSubjectId(responseId, criterionCode) })
      .orderBy([{ column: 'e.occurred_at' }, { column: 'e.id' }])
      .select('e.occurred_at', 'u.name', 'e.details')) as Array<{ occurred_at: unknown; name: string | null; details: string }>
    return rows.map((r) => {
      const details = JSON.parse(r.details) as { old: Record<string, unknown> | null; new: Record<string, unknown> }
      return { occurredAt: toDate(r.occurred_at), actorName: r.name, old: details.old, new: details.new }
    })
  }
}

export function answerSubjectId(responseId: number, criterionCode: string): string {
  return `${responseId}:${criterionCode}`
}
