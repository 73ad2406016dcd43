import type { Database } from '../db/connection'
import { timestamp, toCount, toDate, toDateOrNull } from '../db/values'
import { formatReminderDays, parseReminderDays } from '../rounds/schedule'
import type { Executor } from './frameworks'

export interface RoundRecord {
  id: number
  icsId: number
  title: string
  frameworkVersionId: number
  opensAt: Date
  closesAt: Date
  extendedUntil: Date | null
  /** Set when the ICS lead closed the round before its deadline. */
  closedAt: Date | null
  /** Days before the deadline that reminders go, largest first. */
  reminderDays: number[]
  copiedFromRoundId: number | null
}

/** A row of `rounds`, as `select *` reads it. */
export interface RoundRow {
  id: number
  ics_id: number
  title: string
  framework_version_id: number
  opens_at: unknown
  closes_at: unknown
  extended_until: unknown
  closed_at: unknown
  reminder_days: string
  copied_from_round_id: number | null
}

/** Every column toRound reads, from `rounds as <alias>`: select these wherever a round is read. */
export function roundColumns(alias: string): string[] {
  return ['id', 'ics_id', 'title', 'framework_version_id', 'opens_at', 'closes_at', 'extended_until', 'closed_at', 'reminder_days', 'copied_from_round_id'].map(
    (column) => `${alias}.${column}`,
  )
}

export function toRound(row: RoundRow): RoundRecord {
  return {
    id: row.id,
    icsId: row.ics_id,
    title: row.title,
    frameworkVersionId: row.framework_version_id,
    opensAt: toDate(row.opens_at),
    closesAt: toDate(row.closes_at),
    extendedUntil: toDateOrNull(row.extended_until),
    closedAt: toDateOrNull(row.closed_at),
    reminderDays: parseReminderDays(row.reminder_days),
    copiedFromRoundId: row.copied_from_round_id,
  }
}

/**
 * Whether organisation `o` takes part in round `rd` (whose place takes part): unless it was
 * retired before the round's deadline and has no response in it. So a retired organisation is
 * left out of new rounds, and keeps its part (and answers) in earlier ones.
 */
export function organisationInRoundSql(round = 'rd', organisation = 'o'): string {
  return `(${organisation}.retired_at is null or ${organisation}.retired_at >= coalesce(${round}.extended_until, ${round}.closes_at) or exists (select 1 from responses rx where rx.round_id = ${round}.id and rx.organisation_id = ${organisation}.id))`
}

export interface RoundInput {
  title: string
  frameworkVersionId: number
  opensAt: Date
  closesAt: Date
  placeIds: number[]
  reminderDays: number[]
}

/** One place of a round, with its organisations' progress counted in SQL. */
export interface RoundPlaceSummary {
  placeId: number
  placeName: string
  organisations: number
  submitted: number
  inProgress: number
  notStarted: number
  /** Organisations yet to submit with nobody who can answer: no partner with access and no invitation waiting. */
  withoutContact: number
  returnStatus: 'draft' | 'submitted' | null
}

/** One organisation of a place in a round, for the ICS lead's view of that place. */
export interface RoundOrganisationRow {
  organisationId: number
  organisationName: string
  kind: string
  status: 'not_started' | 'in_progress' | 'submitted'
  answered: number
  criteria: number
  submittedAt: Date | null
  reference: string | null
  partners: number
  pendingInvitations: number
  lastReminderAt: Date | null
  reminders: number
}

/** Assessment rounds: their dates, and which places take part. */
export class RoundData {
  constructor(private readonly db: Database) {}

  async findRound(roundId: number, executor: Executor = this.db): Promise<RoundRecord | undefined> {
    const row = (await executor('rounds').where({ id: roundId }).first()) as RoundRow | undefined
    return row && toRound(row)
  }

  async placeTakesPart(roundId: number, placeId: number, executor: Executor = this.db): Promise<boolean> {
    return (await executor('round_places').where({ round_id: roundId, place_id: placeId }).first('round_id')) !== undefined
  }

  /** A new deadline; a round closed early opens again until it. */
  async extendRound(roundId: number, until: Date, executor: Executor): Promise<void> {
    await executor('rounds').where({ id: roundId }).update({ extended_until: timestamp(until), closed_at: null })
  }

  async findRoundByTitle(icsId: number, title: string, exceptId?: number): Promise<RoundRecord | undefined> {
    const query = this.db('rounds').where({ ics_id: icsId }).whereRaw('lower(title) = ?', [title.trim().toLowerCase()])
    if (exceptId !== undefined) query.whereNot('id', exceptId)
    const row = (await query.first()) as RoundRow | undefined
    return row && toRound(row)
  }

  async createRound(icsId: number, input: RoundInput, extra: { copiedFrom: number | null; createdBy: number | null }, now: Date, executor: Executor): Promise<number> {
    const [row] = (await executor('rounds').insert(
      {
        ics_id: icsId,
        framework_version_id: input.frameworkVersionId,
        title: input.title,
        opens_at: timestamp(input.opensAt),
        closes_at: timestamp(input.closesAt),
        reminder_days: formatReminderDays(input.reminderDays),
        copied_from_round_id: extra.copiedFrom,
        created_by: extra.createdBy,
        created_at: timestamp(now),
      },
      ['id'],
    )) as Array<{ id: number }>
    const roundId = row!.id
    await this.setPlaces(roundId, input.placeIds, executor)
    return roundId
  }

  /** Changes a round that has not opened yet: everything it was created with. */
  async updateRound(roundId: number, input: RoundInput, executor: Executor): Promise<void> {
    await executor('rounds')
      .where({ id: roundId })
      .update({
        framework_version_id: input.frameworkVersionId,
        title: input.title,
        opens_at: timestamp(input.opensAt),
        closes_at: timestamp(input.closesAt),
        extended_until: null,
        reminder_days: formatReminderDays(input.reminderDays),
      })
    await executor('round_places').where({ round_id: roundId }).delete()
    await this.setPlaces(roundId, input.placeIds, executor)
  }

  private async setPlaces(roundId: number, placeIds: number[], executor: Executor): Promise<void> {
    if (placeIds.length > 0) await executor('round_places').insert(placeIds.map((placeId) => ({ round_id: roundId, place_id: placeId })))
  }

  async setOpensAt(roundId: number, at: Date, executor: Executor): Promise<void> {
    await executor('rounds').where({ id: roundId }).update({ opens_at: timestamp(at) })
  }

  async close(roundId: number, at: Date, executor: Executor): Promise<void> {
    await executor('rounds').where({ id: roundId }).update({ closed_at: timestamp(at) })
  }

  async setReminderDays(roundId: number, days: number[], executor: Executor): Promise<void> {
    await executor('rounds').where({ id: roundId }).update({ reminder_days: formatReminderDays(days) })
  }

  async placeIds(roundId: number, executor: Executor = this.db): Promise<number[]> {
    return (await executor('round_places').where({ round_id: roundId }).pluck('place_id')) as number[]
  }

  /** Open development actions of these places (to carry into a new round), as ids. */
  async openActionIds(placeIds: number[], executor: Executor): Promise<number[]> {
    if (placeIds.length === 0) return []
    return (await executor('development_actions').whereIn('place_id', placeIds).whereNot('status', 'done').orderBy('id').pluck('id')) as number[]
  }

  async carryActions(roundId: number, actionIds: number[], executor: Executor): Promise<void> {
    for (let i = 0; i < actionIds.length; i += 500) {
      await executor('round_carried_actions').insert(actionIds.slice(i, i + 500).map((actionId) => ({ round_id: roundId, action_id: actionId })))
    }
  }

  /** The development actions a round carried over, per place. */
  async carriedActionCounts(roundId: number): Promise<Map<number, number>> {
    const rows = (await this.db('round_carried_actions as c')
      .join('development_actions as a', 'a.id', 'c.action_id')
      .where('c.round_id', roundId)
      .groupBy('a.place_id')
      .select('a.place_id', this.db.raw('count(*) as n'))) as Array<{ place_id: number; n: unknown }>
    return new Map(rows.map((r) => [r.place_id, toCount(r.n)]))
  }

  async carriedActions(roundId: number, placeId: number): Promise<Array<{ id: number; criterionCode: string; description: string; dueDate: string; status: string; fromRound: string }>> {
    const rows = (await this.db('round_carried_actions as c')
      .join('development_actions as a', 'a.id', 'c.action_id')
      .join('rounds as r', 'r.id', 'a.round_id')
      .where({ 'c.round_id': roundId, 'a.place_id': placeId })
      .orderBy(['a.due_date', 'a.id'])
      .select('a.id', 'a.criterion_code', 'a.description', 'a.due_date', 'a.status', 'r.title')) as Array<{
      id: number
      criterion_code: string
      description: string
      due_date: string
      status: string
      title: string
    }>
    return rows.map((r) => ({ id: r.id, criterionCode: r.criterion_code, description: r.description, dueDate: r.due_date, status: r.status, fromRound: r.title }))
  }

  /** Each place of a round with its organisations' progress, in one query. */
  async placeSummaries(roundId: number): Promise<RoundPlaceSummary[]> {
    const hasContact = `exists (select 1 from memberships m join users u on u.id = m.user_id where m.organisation_id = o.id and m.role = 'partner' and u.is_active = ?)
      or exists (select 1 from invitations n where n.organisation_id = o.id and n.role = 'partner' and n.accepted_at is null and n.revoked_at is null)`
    const rows = (await this.db('round_places as rp')
      .join('rounds as rd', 'rd.id', 'rp.round_id')
      .join('places as p', 'p.id', 'rp.place_id')
      .leftJoin('organisations as o', (j) => j.on('o.place_id', 'p.id').andOn(this.db.raw(organisationInRoundSql())))
      .leftJoin('responses as r', (j) => j.on('r.round_id', 'rd.id').andOn('r.organisation_id', 'o.id'))
      .leftJoin('place_returns as pr', (j) => j.on('pr.round_id', 'rd.id').andOn('pr.place_id', 'p.id'))
      .where('rp.round_id', roundId)
      .groupBy('p.id', 'p.name', 'pr.status')
      .orderBy('p.name')
      .select(
        'p.id',
        'p.name',
        'pr.status as return_status',
        this.db.raw('count(o.id) as organisations'),
        this.db.raw("sum(case when r.status = 'submitted' then 1 else 0 end) as submitted"),
        this.db.raw("sum(case when r.status = 'in_progress' then 1 else 0 end) as in_progress"),
        // Only organisations still to submit need someone to answer for them.
        this.db.raw(
          `sum(case when o.id is not null and (r.status is null or r.status <> 'submitted') and not (${hasContact}) then 1 else 0 end) as without_contact`,
          [true],
        ),
      )) as Array<{
      id: number
      name: string
      return_status: 'draft' | 'submitted' | null
      organisations: unknown
      submitted: unknown
      in_progress: unknown
      without_contact: unknown
    }>
    return rows.map((r) => {
      const organisations = toCount(r.organisations)
      const submitted = toCount(r.submitted)
      const inProgress = toCount(r.in_progress)
      return {
        placeId: r.id,
        placeName: r.name,
        organisations,
        submitted,
        inProgress,
        notStarted: organisations - submitted - inProgress,
        withoutContact: toCount(r.without_contact),
        returnStatus: r.return_status,
      }
    })
  }

  /** The organisations of one place in a round, with progress, contacts and reminders, in one query. */
  async organisationsInPlace(roundId: number, placeId: number): Promise<RoundOrganisationRow[]> {
    const partners = this.db('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .whereRaw('m.organisation_id = o.id')
      .where('m.role', 'partner')
      .where('u.is_active', true)
      .countDistinct('m.user_id')
      .as('partners')
    const pending = this.db('invitations as n')
      .whereRaw('n.organisation_id = o.id')
      .where('n.role', 'partner')
      .whereNull('n.accepted_at')
      .whereNull('n.revoked_at')
      .count('*')
      .as('pending')
    const lastReminder = this.db('reminder_log as l').whereRaw('l.round_id = rd.id').whereRaw('l.organisation_id = o.id').max('l.sent_at').as('last_reminder')
    const reminders = this.db('reminder_log as l').whereRaw('l.round_id = rd.id').whereRaw('l.organisation_id = o.id').count('*').as('reminders')
    const answered = this.db('answers as a')
      .whereRaw('a.response_id = r.id')
      .where((q) => {
        q.whereNotNull('a.level').orWhere('a.not_sure', true)
      })
      .count('*')
      .as('answered')
    const criteria = this.db('framework_criteria as c').whereRaw('c.version_id = rd.framework_version_id').count('*').as('criteria')
    const rows = (await this.db('rounds as rd')
      .join('round_places as rp', 'rp.round_id', 'rd.id')
      .join('organisations as o', 'o.place_id', 'rp.place_id')
      .leftJoin('responses as r', (j) => j.on('r.round_id', 'rd.id').andOn('r.organisation_id', 'o.id'))
      .where({ 'rd.id': roundId, 'rp.place_id': placeId })
      .whereRaw(organisationInRoundSql())
      .orderBy('o.name')
      .select('o.id', 'o.name', 'o.kind', 'r.status', 'r.submitted_at', 'r.reference', partners, pending, lastReminder, reminders, answered, criteria)) as Array<{
      id: number
      name: string
      kind: string
      status: 'in_progress' | 'submitted' | null
      submitted_at: unknown
      reference: string | null
      partners: unknown
      pending: unknown
      last_reminder: unknown
      reminders: unknown
      answered: unknown
      criteria: unknown
    }>
    return rows.map((r) => ({
      organisationId: r.id,
      organisationName: r.name,
      kind: r.kind,
      status: r.status ?? 'not_started',
      answered: toCount(r.answered),
      criteria: toCount(r.criteria),
      submittedAt: toDateOrNull(r.submitted_at),
      reference: r.reference,
      partners: toCount(r.partners),
      pendingInvitations: toCount(r.pending),
      lastReminderAt: toDateOrNull(r.last_reminder),
      reminders: toCount(r.reminders),
    }))
  }

  /** Rounds of these ICSs, newest first, with how many partner organisations have submitted: counted in SQL. */
  async roundsForIcs(icsIds: number[]): Promise<Array<RoundRecord & { organisations: number; submitted: number }>> {
    const organisations = this.db('organisations as o')
      .join('round_places as rp', 'rp.place_id', 'o.place_id')
      .whereRaw('rp.round_id = rd.id')
      .whereRaw(organisationInRoundSql())
      .count('*')
      .as('organisations')
    const submitted = this.db('responses as r').whereRaw('r.round_id = rd.id').where('r.status', 'submitted').count('*').as('submitted')
    const rows = (await this.db('rounds as rd')
      .whereIn('rd.ics_id', icsIds)
      .orderBy('rd.closes_at', 'desc')
      .select('rd.*', organisations, submitted)) as Array<RoundRow & { organisations: unknown; submitted: unknown }>
    return rows.map((r) => ({ ...toRound(r), organisations: toCount(r.organisations), submitted: toCount(r.submitted) }))
  }

  async placesInRound(roundId: number): Promise<Array<{ id: number; name: string }>> {
    return (await this.db('places as p').join('round_places as rp', 'rp.place_id', 'p.id').where('rp.round_id', roundId).orderBy('p.name').select('p.id', 'p.name')) as Array<{
      id: number
      name: string
    }>
  }
}
