import type { Database } from '../db/connection'
import { auditEventColumns, auditEventOf, type AuditEventSqlRow } from './audit'
import { timestamp, toBoolean, toDate, toDateOrNull } from '../db/values'
import type { Executor } from './frameworks'

export type ResponseStatus = 'not_started' | 'in_progress' | 'submitted'

/** One organisation's response to a round (or the lack of one), as the answers export pages through them. */
export interface RespondentRow {
  placeId: number
  placeName: string
  organisationId: number
  organisationName: string
  organisationKind: string
  responseId: number | null
  status: ResponseStatus
  submittedAt: Date | null
  reference: string | null
}

export interface StoredAnswer {
  responseId: number
  criterionId: number
  level: number | null
  notSure: boolean
  evidence: string | null
  supportNeeded: string | null
  targetLevel: number | null
  updatedAt: Date
  updatedByName: string | null
}

/** Where a page of respondents starts: after this place name, organisation name and id. */
export interface RespondentCursor {
  placeName: string
  organisationName: string
  organisationId: number
}

/** An audit event as exported: its details the JSON text stored. */
export type AuditExportRow = ReturnType<typeof auditEventOf>

/**
 * The SQL behind exports and the API's answers: pages read by keyset (never offset), so each
 * page costs the same however deep into a large round it is, and nothing ever reads a whole
 * round's answers at once.
 */
export class ExportData {
  constructor(private readonly db: Database) {}

  /**
   * A page of the organisations of a round's taking-part places (optionally only some places),
   * by place name, organisation name and id, each with its response's status.
   */
  async respondents(
    roundId: number,
    options: { placeIds?: readonly number[] | undefined; after?: RespondentCursor | undefined; limit: number },
    executor: Executor = this.db,
  ): Promise<RespondentRow[]> {
    const query = executor('round_places as rp')
      .join('places as p', 'p.id', 'rp.place_id')
      .join('organisations as o', 'o.place_id', 'p.id')
      .leftJoin('responses as r', (j) => j.on('r.organisation_id', 'o.id').andOn('r.round_id', 'rp.round_id'))
      .where('rp.round_id', roundId)
    if (options.placeIds) query.whereIn('rp.place_id', [...options.placeIds])
    if (options.after) {
      const { placeName, organisationName, organisationId } = options.after
      query.where((q) => {
        q.where('p.name', '>', placeName)
          .orWhere((q2) => {
            q2.where('p.name', placeName).where('o.name', '>', organisationName)
          })
          .orWhere((q3) => {
            q3.where('p.name', placeName).where('o.name', organisationName).where('o.id', '>', organisationId)
          })
      })
    }
    const rows = (await query
      .orderBy([{ column: 'p.name' }, { column: 'o.name' }, { column: 'o.id' }])
      .limit(options.limit)
      .select(
        'p.id as place_id',
        'p.name as place_name',
        'o.id as organisation_id',
        'o.name as organisation_name',
        'o.kind as organisation_kind',
        'r.id as response_id',
        'r.status',
        'r.submitted_at',
        'r.reference',
      )) as Array<{
      place_id: number
      place_name: string
      organisation_id: number
      organisation_name: string
      organisation_kind: string
      response_id: number | null
      status: string | null
      submitted_at: unknown
      reference: string | null
    }>
    return rows.map((r) => ({
      placeId: r.place_id,
      placeName: r.place_name,
      organisationId: r.organisation_id,
      organisationName: r.organisation_name,
      organisationKind: r.organisation_kind,
      responseId: r.response_id,
      status: r.response_id === null ? 'not_started' : r.status === 'submitted' ? 'submitted' : 'in_progress',
      submittedAt: toDateOrNull(r.submitted_at),
      reference: r.reference,
    }))
  }

  /** The saved answers of some responses (one page of respondents), in one query. */
  async answersOf(responseIds: readonly number[], executor: Executor = this.db): Promise<StoredAnswer[]> {
    if (responseIds.length === 0) return []
    const rows = (await executor('answers as a')
      .leftJoin('users as u', 'u.id', 'a.updated_by')
      .whereIn('a.response_id', [...responseIds])
      .select(
        'a.response_id',
        'a.criterion_id',
        'a.level',
        'a.not_sure',
        'a.evidence',
        'a.support_needed',
        'a.target_level',
        'a.updated_at',
        'u.name as updated_by_name',
      )) as Array<{
      response_id: number
      criterion_id: number
      level: number | null
      not_sure: unknown
      evidence: string | null
      support_needed: string | null
      target_level: number | null
      updated_at: unknown
      updated_by_name: string | null
    }>
    return rows.map((r) => ({
      responseId: r.response_id,
      criterionId: r.criterion_id,
      level: r.level,
      notSure: toBoolean(r.not_sure),
      evidence: r.evidence,
      supportNeeded: r.support_needed,
      targetLevel: r.target_level,
      updatedAt: toDate(r.updated_at),
      updatedByName: r.updated_by_name,
    }))
  }

  /**
   * A page of an ICS's audit trail between two instants, oldest first: its events, and the
   * sign-in events of its members (which belong to no ICS), as the audit page shows them.
   */
  async auditEvents(
    icsId: number,
    range: { from: Date; before: Date },
    after: { occurredAt: Date; id: number } | undefined,
    limit: number,
  ): Promise<AuditExportRow[]> {
    const members = this.db('memberships').where('ics_id', icsId).select('user_id')
    const query = this.db('audit_events as e')
      .leftJoin('users as u', 'u.id', 'e.actor_user_id')
      .where((q) => {
        q.where('e.ics_id', icsId).orWhere((inner) => {
          inner.whereNull('e.ics_id').whereIn('e.actor_user_id', members)
        })
      })
      .where('e.occurred_at', '>=', timestamp(range.from))
      .where('e.occurred_at', '<', timestamp(range.before))
    if (after) {
      const at = timestamp(after.occurredAt)
      query.where((q) => {
        q.where('e.occurred_at', '>', at).orWhere((q2) => {
          q2.where('e.occurred_at', at).where('e.id', '>', after.id)
        })
      })
    }
    const rows = (await query
      .orderBy([{ column: 'e.occurred_at' }, { column: 'e.id' }])
      .limit(limit)
      .select(auditEventColumns)) as AuditEventSqlRow[]
    return rows.map(auditEventOf)
  }
}
