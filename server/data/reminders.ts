import type { Database } from '../db/connection'
import { timestamp, toCount, toDate, toDateOrNull } from '../db/values'
import type { Executor } from './frameworks'
import { organisationInRoundSql, toRound, type RoundRecord, type RoundRow } from './rounds'

/** An organisation that has not submitted, in an open round, to be reminded. */
export interface DueReminder {
  roundId: number
  roundTitle: string
  icsId: number
  deadline: Date
  organisationId: number
  organisationName: string
  placeName: string
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

export interface ReminderLogEntry {
  id: number
  roundId: number
  roundTitle: string
  /** 'scheduled' (days before the deadline) or 'manual' ("remind now"). */
  kind: 'scheduled' | 'manual'
  daysBefore: number | null
  deadline: Date
  sentAt: Date
  recipients: number
  sentByName: string | null
}

/** The round's deadline: the extension when there is one, else the original closing time. */
const deadlineSql = 'coalesce(rd.extended_until, rd.closes_at)'

export class ReminderData {
  constructor(private readonly db: Database) {}

  /** Rounds open now (not closed early) whose deadline is at most `withinMs` away. */
  async openRoundsNear(now: Date, withinMs: number): Promise<RoundRecord[]> {
    const at = timestamp(now)
    const rows = (await this.db('rounds as rd')
      .where('rd.opens_at', '<=', at)
      .whereNull('rd.closed_at')
      .whereRaw(`${deadlineSql} > ?`, [at])
      .whereRaw(`${deadlineSql} <= ?`, [timestamp(new Date(now.getTime() + withinMs))])
      .orderBy('rd.id')
      .select('rd.*')) as RoundRow[]
    return rows.map(toRound)
  }

  /**
   * The organisations of a round that have not submitted, with their progress, in one query;
   * for a scheduled reminder (`daysBefore`), those already sent it for this deadline are left out.
   * `scope` narrows to one place or one organisation ("remind now").
   */
  async notSubmitted(
    round: RoundRecord,
    options: { daysBefore?: number; placeId?: number; organisationId?: number },
  ): Promise<DueReminder[]> {
    const deadline = round.extendedUntil ?? round.closesAt
    const answered = this.db('answers as a')
      .whereRaw('a.response_id = r.id')
      .where((q) => {
        q.whereNotNull('a.level').orWhere('a.not_sure', true)
      })
      .count('*')
      .as('answered')
    const criteria = this.db('framework_criteria as c').whereRaw('c.version_id = rd.framework_version_id').count('*').as('criteria')
    const query = this.db('rounds as rd')
      .join('round_places as rp', 'rp.round_id', 'rd.id')
      .join('places as p', 'p.id', 'rp.place_id')
      .join('organisations as o', 'o.place_id', 'p.id')
      .leftJoin('responses as r', (j) => j.on('r.round_id', 'rd.id').andOn('r.organisation_id', 'o.id'))
      .where('rd.id', round.id)
      .whereRaw(organisationInRoundSql())
      .where((q) => {
        q.whereNull('r.id').orWhere('r.status', '<>', 'submitted')
      })
      .orderBy('o.id')
      .select('o.id as organisation_id', 'o.name as organisation_name', 'p.name as place_name', answered, criteria)
    if (options.placeId !== undefined) query.where('p.id', options.placeId)
    if (options.organisationId !== undefined) query.where('o.id', options.organisationId)
    if (options.daysBefore !== undefined) {
      query.whereNotExists((q) => {
        q.select(this.db.raw('1'))
          .from('reminder_log as l')
          .whereRaw('l.round_id = rd.id')
          .whereRaw('l.organisation_id = o.id')
          .where('l.deadline', timestamp(deadline))
          .where('l.days_before', options.daysBefore!)
      })
    }
    const rows = (await query) as Array<{
      organisation_id: number
      organisation_name: string
      place_name: string
      answered: unknown
      criteria: unknown
    }>
    return rows.map((row) => ({
      roundId: round.id,
      roundTitle: round.title,
      icsId: round.icsId,
      deadline,
      organisationId: row.organisation_id,
      organisationName: row.organisation_name,
      placeName: row.place_name,
      answered: toCount(row.answered),
      criteria: toCount(row.criteria),
    }))
  }

  /** The active partner respondents of these organisations, in one query. */
  async recipients(roundId: number, organisationIds: number[]): Promise<ReminderRecipient[]> {
    const recipients: ReminderRecipient[] = []
    for (let i = 0; i < organisationIds.length; i += 500) {
      const rows = (await this.db('memberships as m')
        .join('users as u', 'u.id', 'm.user_id')
        .where('m.role', 'partner')
        .where('u.is_active', true)
        .whereIn('m.organisation_id', organisationIds.slice(i, i + 500))
        .distinct('m.organisation_id', 'u.id', 'u.email', 'u.name')
        .orderBy(['m.organisation_id', 'u.id'])) as Array<{ organisation_id: number; id: number; email: string; name: string }>
      recipients.push(...rows.map((row) => ({ roundId, organisationId: row.organisation_id, userId: row.id, email: row.email, name: row.name })))
    }
    return recipients
  }

  /**
   * Records reminders as sent, as part of the caller's transaction, and answers which
   * organisations this call recorded: a scheduled reminder another instance has just recorded
   * for the same deadline and day is not among them ("remind now" ones always are).
   */
  async record(
    reminders: Array<{ roundId: number; organisationId: number; daysBefore: number | null; deadline: Date; recipients: number; sentBy: number | null }>,
    now: Date,
    executor: Executor,
  ): Promise<Set<number>> {
    if (reminders.length === 0) return new Set()
    const rows = (await executor('reminder_log')
      .insert(
        reminders.map((r) => ({
          round_id: r.roundId,
          organisation_id: r.organisationId,
          kind: r.daysBefore === null ? 'manual' : 'scheduled',
          days_before: r.daysBefore,
          deadline: timestamp(r.deadline),
          sent_at: timestamp(now),
          recipients: r.recipients,
          sent_by: r.sentBy,
        })),
      )
      .onConflict(['round_id', 'organisation_id', 'deadline', 'days_before'])
      .ignore()
      .returning(['organisation_id'])) as Array<{ organisation_id: number }>
    return new Set(rows.map((row) => row.organisation_id))
  }

  /** Every reminder an organisation was sent, newest first. */
  async log(organisationId: number, limit = 200): Promise<ReminderLogEntry[]> {
    const rows = (await this.db('reminder_log as l')
      .join('rounds as r', 'r.id', 'l.round_id')
      .leftJoin('users as u', 'u.id', 'l.sent_by')
      .where('l.organisation_id', organisationId)
      .orderBy([
        { column: 'l.sent_at', order: 'desc' },
        { column: 'l.id', order: 'desc' },
      ])
      .limit(limit)
      .select('l.id', 'l.round_id', 'r.title', 'l.kind', 'l.days_before', 'l.deadline', 'l.sent_at', 'l.recipients', 'u.name')) as Array<{
      id: number
      round_id: number
      title: string
      kind: 'scheduled' | 'manual'
      days_before: number | null
      deadline: unknown
      sent_at: unknown
      recipients: number
      name: string | null
    }>
    return rows.map((r) => ({
      id: r.id,
      roundId: r.round_id,
      roundTitle: r.title,
      kind: r.kind,
      daysBefore: r.days_before,
      deadline: toDate(r.deadline),
      sentAt: toDate(r.sent_at),
      recipients: r.recipients,
      sentByName: r.name,
    }))
  }

  /** When the organisation was last reminded in a round, if it was. */
  async lastSent(roundId: number, organisationId: number): Promise<Date | null> {
    const row = (await this.db('reminder_log').where({ round_id: roundId, organisation_id: organisationId }).max({ at: 'sent_at' }).first()) as
      | { at: unknown }
      | undefined
    return toDateOrNull(row?.at)
  }
}
