import type { Database } from '../db/connection'
import { timestamp, toCount, toDate, toDateOrNull } from '../db/values'
import type { Executor } from './frameworks'
import { progressColumns } from './responses'

export type ReminderKind = '7-days' | '1-day'

/** An organisation that has not submitted, in an open round whose deadline is near, not yet reminded of this kind. */
export interface DueReminder {
  roundId: number
  roundTitle: string
  icsId: number
  deadline: Date
  organisationId: number
  organisationName: string
  placeName: string
  kind: ReminderKind
  answered: number
  criteria: number
}

export interface ReminderRecipient {
  roundId: number
  organisationId: number
  userId: number
  email: string
  name: string
}

/** The round's deadline: the extension when there is one, else the original closing time. */
const deadlineSql = 'coalesce(rd.extended_until, rd.closes_at)'

export class ReminderData {
  constructor(private readonly db: Database) {}

  /**
   * Every organisation due a reminder now, with its progress, in one query. A round is in
   * scope while it is open (opened, deadline not passed) and its deadline is within
   * `withinMs`; inside `finalWithinMs` the reminder is the final one ('1-day'), before that
   * the first ('7-days'). Organisations that have submitted, or have had this kind of
   * reminder for this round, are left out.
   */
  async due(now: Date, withinMs: number, finalWithinMs: number): Promise<DueReminder[]> {
    const at = timestamp(now)
    const horizon = timestamp(new Date(now.getTime() + withinMs))
    const finalHorizon = timestamp(new Date(now.getTime() + finalWithinMs))
    const kindSql = `case when ${deadlineSql} <= ? then '1-day' else '7-days' end`
    const { answered, criteria } = progressColumns(this.db)
    const rows = (await this.db('rounds as rd')
      .join('round_places as rp', 'rp.round_id', 'rd.id')
      .join('places as p', 'p.id', 'rp.place_id')
      .join('organisations as o', 'o.place_id', 'p.id')
      .leftJoin('responses as r', (j) => j.on('r.round_id', 'rd.id').andOn('r.organisation_id', 'o.id'))
      .where('rd.opens_at', '<=', at)
      .whereRaw(`${deadlineSql} > ?`, [at])
      .whereRaw(`${deadlineSql} <= ?`, [horizon])
      .where((q) => q.whereNull('r.id').orWhere('r.status', '<>', 'submitted'))
      .whereNotExists((q) =>
        q
          .select(this.db.raw('1'))
          .from('reminders_sent as rs')
          .whereRaw('rs.round_id = rd.id')
          .whereRaw('rs.organisation_id = o.id')
          .whereRaw(`rs.kind = ${kindSql}`, [finalHorizon]),
      )
      .orderBy(['rd.id', 'o.id'])
      .select(
        'rd.id as round_id',
        'rd.title as round_title',
        'rd.ics_id',
        'rd.closes_at',
        'rd.extended_until',
        'o.id as organisation_id',
        'o.name as organisation_name',
        'p.name as place_name',
        this.db.raw(`${kindSql} as kind`, [finalHorizon]),
        answered,
        criteria,
      )) as Array<{
      round_id: number
      round_title: string
      ics_id: number
      closes_at: unknown
      extended_until: unknown
      organisation_id: number
      organisation_name: string
      place_name: string
      kind: ReminderKind
      answered: unknown
      criteria: unknown
    }>
    return rows.map((row) => ({
      roundId: row.round_id,
      roundTitle: row.round_title,
      icsId: row.ics_id,
      deadline: toDateOrNull(row.extended_until) ?? toDate(row.closes_at),
      organisationId: row.organisation_id,
      organisationName: row.organisation_name,
      placeName: row.place_name,
      kind: row.kind,
      answered: toCount(row.answered),
      criteria: toCount(row.criteria),
    }))
  }

  /** The active partner respondents of every organisation taking part in these rounds, in one query. */
  async recipients(roundIds: number[]): Promise<ReminderRecipient[]> {
    if (roundIds.length === 0) return []
    const rows = (await this.db('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .join('organisations as o', 'o.id', 'm.organisation_id')
      .join('round_places as rp', 'rp.place_id', 'o.place_id')
      .where('m.role', 'partner')
      .where('u.is_active', true)
      .whereIn('rp.round_id', roundIds)
      .distinct('rp.round_id', 'm.organisation_id', 'u.id', 'u.email', 'u.name')
      .orderBy(['rp.round_id', 'm.organisation_id', 'u.id'])) as Array<{
      round_id: number
      organisation_id: number
      id: number
      email: string
      name: string
    }>
    return rows.map((row) => ({ roundId: row.round_id, organisationId: row.organisation_id, userId: row.id, email: row.email, name: row.name }))
  }

  /**
   * Records reminders as sent, as part of the caller's transaction, and answers which of them
   * this call recorded: an organisation another instance has just reminded is not among them.
   */
  async record(
    reminders: Array<{ roundId: number; organisationId: number; kind: ReminderKind; deadline: Date; recipients: number }>,
    now: Date,
    executor: Executor,
  ): Promise<Set<string>> {
    if (reminders.length === 0) return new Set()
    const rows = (await executor('reminders_sent')
      .insert(
        reminders.map((r) => ({
          round_id: r.roundId,
          organisation_id: r.organisationId,
          kind: r.kind,
          sent_at: timestamp(now),
          deadline: timestamp(r.deadline),
          recipients: r.recipients,
        })),
      )
      .onConflict(['round_id', 'organisation_id', 'kind'])
      .ignore()
      .returning(['round_id', 'organisation_id', 'kind'])) as Array<{ round_id: number; organisation_id: number; kind: string }>
    return new Set(rows.map((row) => reminderKey(row.round_id, row.organisation_id, row.kind)))
  }
}

export function reminderKey(roundId: number, organisationId: number, kind: string): string {
  return `${roundId}:${organisationId}:${kind}`
}
