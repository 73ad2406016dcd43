import type { Database } from '../db/connection'
import { timestamp, toCount, toDate, toDateOrNull } from '../db/values'
import type { Executor } from './frameworks'

export interface RoundRecord {
  id: number
  icsId: number
  title: string
  frameworkVersionId: number
  opensAt: Date
  closesAt: Date
  extendedUntil: Date | null
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
  }
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

  async extendRound(roundId: number, until: Date, executor: Executor): Promise<void> {
    await executor('rounds').where({ id: roundId }).update({ extended_until: timestamp(until) })
  }

  /** Rounds of these ICSs, newest first, with how many partner organisations have submitted: counted in SQL. */
  async roundsForIcs(icsIds: number[]): Promise<Array<RoundRecord & { organisations: number; submitted: number }>> {
    const organisations = this.db('organisations as o')
      .join('round_places as rp', 'rp.place_id', 'o.place_id')
      .whereRaw('rp.round_id = rd.id')
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
