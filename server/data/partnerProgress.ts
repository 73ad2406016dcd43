import type { Database } from '../db/connection'
import { toCount, toDateOrNull } from '../db/values'
import { progressColumns, type ResponseStatus } from './responses'

export interface PartnerProgressRow {
  organisationId: number
  organisationName: string
  placeId: number
  status: ResponseStatus | 'not_started'
  answered: number
  criteria: number
  updatedAt: Date | null
  submittedAt: Date | null
}

export class PartnerProgressData {
  constructor(private readonly db: Database) {}

  /** Where each partner organisation of some places stands in a round: one query, progress counted in SQL. */
  async forRound(roundId: number, placeIds: readonly number[]): Promise<PartnerProgressRow[]> {
    if (placeIds.length === 0) return []
    const { answered, criteria } = progressColumns(this.db)
    const rows = (await this.db('organisations as o')
      .join('round_places as rp', 'rp.place_id', 'o.place_id')
      .join('rounds as rd', 'rd.id', 'rp.round_id')
      .leftJoin('responses as r', (j) => j.on('r.round_id', 'rd.id').andOn('r.organisation_id', 'o.id'))
      .where('rd.id', roundId)
      .whereIn('o.place_id', [...placeIds])
      .orderBy('o.name')
      .select('o.id', 'o.name', 'o.place_id', 'r.status', 'r.updated_at', 'r.submitted_at', answered, criteria)) as Array<{
      id: number
      name: string
      place_id: number
      status: ResponseStatus | null
      updated_at: unknown
      submitted_at: unknown
      answered: unknown
      criteria: unknown
    }>
    return rows.map((r) => ({
      organisationId: r.id,
      organisationName: r.name,
      placeId: r.place_id,
      status: r.status ?? 'not_started',
      answered: toCount(r.answered),
      criteria: toCount(r.criteria),
      updatedAt: toDateOrNull(r.updated_at),
      submittedAt: toDateOrNull(r.submitted_at),
    }))
  }
}
