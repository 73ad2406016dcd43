import type { Knex } from 'knex'
import { compiledRead } from '../db/compiledRead'
import type { Database } from '../db/connection'
import { timestamp, toDate } from '../db/values'
import type { Executor } from './frameworks'
import { idParams, idsOf, shapedReads, type ShapedParams } from './shapedReads'

/** One audit event as stored: who, what, to what, when and from where. */
export interface AuditRecord {
  occurredAt: Date
  actorUserId: number | null
  icsId: number | null
  kind: string
  subjectType: string | null
  subjectId: string | null
  details: Record<string, unknown> | null
  ip: string | null
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

export interface AuditEventRow {
  id: number
  occurredAt: Date
  kind: string
  actorName: string | null
  actorEmail: string | null
  subjectType: string | null
  subjectId: string | null
  details: Record<string, unknown>
  ip: string | null
}

/** The columns an audit event is read with, from `audit_events as e` left-joined to its actor `users as u`. */
export const auditEventColumns = ['e.id', 'e.occurred_at', 'e.kind', 'u.name', 'u.email', 'e.subject_type', 'e.subject_id', 'e.details', 'e.ip']

/** An audit event as `auditEventColumns` read it. */
export interface AuditEventSqlRow {
  id: number | string
  occurred_at: unknown
  kind: string
  name: string | null
  email: string | null
  subject_type: string | null
  subject_id: string | null
  details: string | null
  ip: string | null
}

/** An audit event read with `auditEventColumns`, its details as `details` makes them (built field by field: a page maps fifty). */
function eventOf<Details>(r: AuditEventSqlRow, details: (text: string | null) => Details) {
  return {
    id: Number(r.id),
    occurredAt: toDate(r.occurred_at),
    kind: r.kind,
    actorName: r.name,
    actorEmail: r.email,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    details: details(r.details),
    ip: r.ip,
  }
}

/** An audit event read with `auditEventColumns`, its details still the JSON text stored (the export writes it as it is). */
export function auditEventOf(r: AuditEventSqlRow): Omit<AuditEventRow, 'details'> & { details: string | null } {
  return eventOf(r, (text) => text)
}

/** An audit event's row as written. */
interface AuditInsertRow {
  occurred_at: string
  actor_user_id: number | null
  ics_id: number | null
  kind: string
  subject_type: string | null
  subject_id: string | null
  details: string | null
  ip: string | null
}

/**
 * One event, the common case (every save records one), compiled once rather than built by knex
 * each time. It returns the id written: compiledRead runs a statement that returns rows.
 */
const insertOne = compiledRead<AuditInsertRow & Record<string, string | number | null>, { id: number }>(
  (db, row) => db('audit_events').insert(row).returning('id'),
  ['occurred_at', 'actor_user_id', 'ics_id', 'kind', 'subject_type', 'subject_id', 'details', 'ip'],
)

/** The filter's values as named parameters: `ics0`, `ics1`… for the ICSs, then those of the filters set. */
function listParams(filter: AuditFilter): ShapedParams {
  const params = idParams('ics', filter.icsIds)
  if (filter.userId !== undefined) params.user = filter.userId
  if (filter.kind) params.kind = filter.kind
  if (filter.from) params.from = timestamp(filter.from)
  if (filter.before) params.before = timestamp(filter.before)
  return params
}

/** The two halves of the trail, each filtered: an ICS's own events and its members' sign-ins. */
function listQueries(db: Database, params: ShapedParams) {
  const icsIds = idsOf('ics', params)
  const members = db('memberships').whereIn('ics_id', icsIds).select('user_id')
  const filtered = (query: Knex.QueryBuilder) => {
    if (params.user !== undefined) query.where('e.actor_user_id', params.user)
    if (params.kind !== undefined) query.where('e.kind', params.kind)
    if (params.from !== undefined) query.where('e.occurred_at', '>=', params.from)
    if (params.before !== undefined) query.where('e.occurred_at', '<', params.before)
    return query
  }
  return {
    ofIcs: () => filtered(db('audit_events as e').whereIn('e.ics_id', icsIds)),
    signInsOfMembers: () => filtered(db('audit_events as e').whereNull('e.ics_id').whereIn('e.actor_user_id', members)),
  }
}

const countReads = shapedReads<{ of_ics: unknown; sign_ins: unknown }>(100)
const pageReads = shapedReads<AuditEventSqlRow>(200)

/** An event of the trail's page, its details parsed. */
function listedEventOf(r: AuditEventSqlRow): AuditEventRow {
  return eventOf(r, (text) => (text ? (JSON.parse(text) as Record<string, unknown>) : {}))
}

/** The audit trail: append-only events, read a page at a time or as one subject's history. */
export class AuditData {
  constructor(private readonly db: Database) {}

  /** Appends events, in batches of 500, as part of the caller's transaction when given one. */
  async insert(records: AuditRecord[], executor: Executor = this.db): Promise<void> {
    const rows = records.map((r) => ({
      occurred_at: timestamp(r.occurredAt),
      actor_user_id: r.actorUserId,
      ics_id: r.icsId,
      kind: r.kind,
      subject_type: r.subjectType,
      subject_id: r.subjectId,
      details: r.details ? JSON.stringify(r.details) : null,
      ip: r.ip,
    }))
    if (rows.length === 1) {
      await insertOne(executor, rows[0]!)
      return
    }
    for (let i = 0; i < rows.length; i += 500) await executor('audit_events').insert(rows.slice(i, i + 500))
  }

  /**
   * Events of the given ICSs, plus sign-in events of their members (which belong to no ICS),
   * newest first, one page at a time.
   */
  async list(filter: AuditFilter): Promise<{ events: AuditEventRow[]; total: number }> {
    const params = listParams(filter)
    const countRead = countReads(params, '', (db, params) => {
      const { ofIcs, signInsOfMembers } = listQueries(db, params)
      // Unfiltered, an ICS's events are as many as the database keeps count of (migration 015).
      const unfiltered = Object.keys(params).every((name) => /^ics\d+$/.test(name))
      const ofIcsCount = unfiltered
        ? db('audit_counts').whereIn('ics_id', idsOf('ics', params)).sum({ n: 'events' })
        : ofIcs().count({ n: '*' })
      return db.queryBuilder().select(ofIcsCount.as('of_ics'), signInsOfMembers().count({ n: '*' }).as('sign_ins')).first()
    })
    const offset = (filter.page - 1) * filter.pageSize
    const pageRead = pageReads(params, `${filter.page}:${filter.pageSize}`, (db, params) => {
      // Two index-driven halves, each newest first, rather than one query with an OR, which
      // cannot read the (ics_id, occurred_at) index in order and sorts every event of the ICS.
      const { ofIcs, signInsOfMembers } = listQueries(db, params)
      const newestFirst = [
        { column: 'e.occurred_at', order: 'desc' },
        { column: 'e.id', order: 'desc' },
      ]
      const newest = (query: Knex.QueryBuilder) =>
        query
          .select('e.id', 'e.occurred_at')
          .orderBy(newestFirst)
          .limit(offset + filter.pageSize)
      const page = db
        .select('*')
        .from(newest(ofIcs()).as('a'))
        .unionAll((q) => {
          q.select('*').from(newest(signInsOfMembers()).as('b'))
        })
      return db
        .from(page.as('w'))
        .join('audit_events as e', 'e.id', 'w.id')
        .leftJoin('users as u', 'u.id', 'e.actor_user_id')
        .orderBy([
          { column: 'w.occurred_at', order: 'desc' },
          { column: 'w.id', order: 'desc' },
        ])
        .limit(filter.pageSize)
        .offset(offset)
        .select(auditEventColumns)
    })
    const [countRow] = await countRead(this.db, params)
    const rows = await pageRead(this.db, params)
    return {
      total: Number(countRow?.of_ics ?? 0) + Number(countRow?.sign_ins ?? 0),
      events: rows.map(listedEventOf),
    }
  }

  /** Every event about one subject, oldest first, with who did it. */
  async historyOf(
    subjectType: string,
    subjectId: string,
  ): Promise<Array<{ occurredAt: Date; actorName: string | null; details: Record<string, unknown> | null }>> {
    const rows = (await this.db('audit_events as e')
      .leftJoin('users as u', 'u.id', 'e.actor_user_id')
      .where({ 'e.subject_type': subjectType, 'e.subject_id': subjectId })
      .orderBy([{ column: 'e.occurred_at' }, { column: 'e.id' }])
      .select('e.occurred_at', 'u.name', 'e.details')) as Array<{ occurred_at: unknown; name: string | null; details: string | null }>
    return rows.map((r) => ({
      occurredAt: toDate(r.occurred_at),
      actorName: r.name,
      details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
    }))
  }
}
