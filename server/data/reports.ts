import type { Database } from '../db/connection'
import { timestamp, toDateOrNull } from '../db/values'
import type { Executor } from './frameworks'

export interface Publication {
  publishedAt: Date | null
  publishedByName: string | null
}

export interface Participant {
  organisationId: number
  name: string
  kind: string
  /** 'submitted', 'in_progress', or 'not_started' when it never began. */
  status: 'submitted' | 'in_progress' | 'not_started'
  submittedAt: Date | null
}

export interface EvidenceExcerpt {
  criterionCode: string
  organisationName: string
  level: number | null
  evidence: string
}

/** What board reports read beyond the results read model: publication, who took part, partners' evidence. */
export class ReportData {
  constructor(private readonly db: Database) {}

  async publication(roundId: number, executor: Executor = this.db): Promise<Publication | undefined> {
    const row = (await executor('rounds as r')
      .leftJoin('users as u', 'u.id', 'r.published_by')
      .where('r.id', roundId)
      .first('r.published_at', 'u.name as published_by_name')) as { published_at: unknown; published_by_name: string | null } | undefined
    return row && { publishedAt: toDateOrNull(row.published_at), publishedByName: row.published_by_name }
  }

  /** Publishes a round's results unless they already are; true when this call published them. */
  async publish(roundId: number, userId: number, now: Date, executor: Executor): Promise<boolean> {
    const updated = await executor('rounds').where({ id: roundId }).whereNull('published_at').update({
      published_at: timestamp(now),
      published_by: userId,
    })
    return updated === 1
  }

  /** The rounds a place took part in, newest first, with whether each round's results are published. */
  async roundsOfPlace(placeId: number): Promise<Array<{ roundId: number; title: string; published: boolean }>> {
    const rows = (await this.db('rounds as r')
      .join('round_places as rp', 'rp.round_id', 'r.id')
      .where('rp.place_id', placeId)
      .orderBy('r.closes_at', 'desc')
      .select('r.id', 'r.title', 'r.published_at')) as Array<{ id: number; title: string; published_at: unknown }>
    return rows.map((r) => ({ roundId: r.id, title: r.title, published: r.published_at !== null && r.published_at !== undefined }))
  }

  /** Every partner organisation of a place, with how far its response to the round got, by name. */
  async participants(roundId: number, placeId: number): Promise<Participant[]> {
    const rows = (await this.db('organisations as o')
      .leftJoin('responses as r', (j) => j.on('r.organisation_id', 'o.id').andOn('r.round_id', this.db.raw('?', [roundId])))
      .where('o.place_id', placeId)
      .orderBy('o.name')
      .select('o.id', 'o.name', 'o.kind', 'r.status', 'r.submitted_at')) as Array<{
      id: number
      name: string
      kind: string
      status: string | null
      submitted_at: unknown
    }>
    return rows.map((r) => ({
      organisationId: r.id,
      name: r.name,
      kind: r.kind,
      status: r.status === 'submitted' ? 'submitted' : r.status ? 'in_progress' : 'not_started',
      submittedAt: toDateOrNull(r.submitted_at),
    }))
  }

  /** Partners' evidence in their submitted answers, criterion by criterion, highest level first. */
  async partnerEvidence(roundId: number, placeId: number): Promise<EvidenceExcerpt[]> {
    const rows = (await this.db('answers as a')
      .join('responses as r', 'r.id', 'a.response_id')
      .join('organisations as o', 'o.id', 'r.organisation_id')
      .join('framework_criteria as c', 'c.id', 'a.criterion_id')
      .where({ 'r.round_id': roundId, 'r.status': 'submitted', 'o.place_id': placeId })
      .whereNotNull('a.evidence')
      .whereRaw("trim(a.evidence) <> ''")
      // Highest level first, "Not sure yet" last, in both databases (knex's nulls option drops the column on SQLite).
      .orderByRaw('c.position, case when a.level is null then 1 else 0 end, a.level desc, o.name')
      .select('c.code', 'o.name', 'a.level', 'a.evidence')) as Array<{ code: string; name: string; level: number | null; evidence: string }>
    return rows.map((r) => ({ criterionCode: r.code, organisationName: r.name, level: r.level, evidence: r.evidence }))
  }
}
