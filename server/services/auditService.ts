import type { Knex } from 'knex'
import type { Database } from '../db/connection'
import { timestamp, toDate } from '../db/values'
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

  /** Records an event done by a signed-in user, as part of the caller's transaction when given one. */
  async record(actor: Actor, event: AuditEvent, executor: Executor = this.db): Promise<void> {
    await this.recordFrom({ userId: actor.user.id, ip: actor.ip }, event, executor)
  }

  /** Records an event of someone not signed in: a sign-in attempt, a password reset, accepting an invitation. */
  async recordFrom(origin: AuditOrigin, event: AuditEvent, executor: Executor = this.db): Promise<void> {
    await executor('audit_events').insert({
      occurred_at: timestamp(this.clock()),
      actor_user_id: origin.userId,
      ics_id: event.icsId,
      kind: event.kind,
      subject_type: event.subjectType ?? null,
      subject_id: event.subjectId === undefined ? null : String(event.subjectId),
      details: event.details ? JSON.stringify(event.details) : null,
      ip: origin.ip ?? null,
    })
  }

  /** Many events at once (an import), in batches, as part of the caller's transaction. */
  /** Records many events from one origin at once (a batch of invitations), as part of the caller's transaction. */
  async recordMany(origin: AuditOrigin, events: AuditEvent[], executor: Executor = this.db): Promise<void> {
    const at = timestamp(this.clock())
    const rows = events.map((event) => ({
      occurred_at: at,
      actor_user_id: origin.userId,
      ics_id: event.icsId,
      kind: event.kind,
      subject_type: event.subjectType ?? null,
      subject_id: event.subjectId === undefined ? null : String(event.subjectId),
      details: event.details ? JSON.stringify(event.details) : null,
      ip: origin.ip ?? null,
    }))
    for (let i = 0; i < rows.length; i += 500) await executor('audit_events').insert(rows.slice(i, i + 500))
  }

  /**
   * Events of the given ICSs, plus sign-in events of their members (which belong to no ICS),
   * newest first, one page at a time.
   */
  async list(filter: AuditFilter): Promise<{ events: AuditEventView[]; total: number }> {
    // Two index-driven halves, each newest first, rather than one query with an OR, which
    // cannot read the (ics_id, occurred_at) index in order and sorts every event of the ICS.
    const members = this.db('memberships').whereIn('ics_id', filter.icsIds).select('user_id')
    const filtered = (query: Knex.QueryBuilder) => {
      if (filter.userId !== undefined) query.where('e.actor_user_id', filter.userId)
      if (filter.kind) query.where('e.kind', filter.kind)
      if (filter.from) query.where('e.occurred_at', '>=', timestamp(filter.from))
      if (filter.before) query.where('e.occurred_at', '<', timestamp(filter.before))
      return query
    }
    const ofIcs = () => filtered(this.db('audit_events as e').whereIn('e.ics_id', filter.icsIds))
    const signInsOfMembers = () => filtered(this.db('audit_events as e').whereNull('e.ics_id').whereIn('e.actor_user_id', members))
    const newestFirst = [
      { column: 'e.occurred_at', order: 'desc' },
      { column: 'e.id', order: 'desc' },
    ]
    const offset = (filter.page - 1) * filter.pageSize
    const newest = (query: Knex.QueryBuilder) =>
      query
        .select('e.id', 'e.occurred_at')
        .orderBy(newestFirst)
        .limit(offset + filter.pageSize)
    const page = this.db
      .select('*')
      .from(newest(ofIcs()).as('a'))
      .unionAll((q) => q.select('*').from(newest(signInsOfMembers()).as('b')))
    const countRow = (await this.db
      .queryBuilder()
      .select(ofIcs().count({ n: '*' }).as('of_ics'), signInsOfMembers().count({ n: '*' }).as('sign_ins'))
      .first()) as { of_ics: unknown; sign_ins: unknown } | undefined
    const rows = (await this.db
      .from(page.as('w'))
      .join('audit_events as e', 'e.id', 'w.id')
      .leftJoin('users as u', 'u.id', 'e.actor_user_id')
      .orderBy([
        { column: 'w.occurred_at', order: 'desc' },
        { column: 'w.id', order: 'desc' },
      ])
      .limit(filter.pageSize)
      .offset(offset)
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
      total: Number(countRow?.of_ics ?? 0) + Number(countRow?.sign_ins ?? 0),
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
