import type { Database } from '../db/connection'
import { compiledRead } from '../db/compiledRead'
import { timestamp, toBoolean, toDate } from '../db/values'
import type { Executor } from './frameworks'

export interface PlaceReturnRecord {
  id: number
  roundId: number
  placeId: number
  status: 'draft' | 'submitted'
  submittedAt: Date | null
  submittedByName: string | null
}

export interface PositionRecord {
  code: string
  level: number | null
  notSure: boolean
  rationale: string
  evidenceSummary: string | null
  updatedAt: Date
  updatedByName: string | null
}

export interface ModerationRecord {
  code: string
  level: number
  comment: string
  moderatedAt: Date
  moderatedByName: string | null
}

export interface DecisionRecord {
  roundId: number
  placeId: number
  recommendedLevel: number
  decidedLevel: number
  rationale: string
  differenceReason: string | null
  decidedOn: string
  decidingBody: string
  recommendationSnapshot: string[]
  recordedAt: Date
  recordedByName: string | null
}

export type ActionStatus = 'not_started' | 'in_progress' | 'done'

export interface ActionRecord {
  id: number
  placeId: number
  roundId: number
  roundTitle: string
  criterionCode: string
  description: string
  ownerOrganisationId: number | null
  ownerName: string | null
  dueDate: string
  status: ActionStatus
  updatedAt: Date
}

export interface PartnerAnswerRow {
  organisationId: number
  organisationName: string
  criterionCode: string
  level: number | null
  notSure: boolean
  evidence: string | null
  supportNeeded: string | null
}

/** The rounds of a place, read on every place page: compiled once. */
const readRoundsOfPlace = compiledRead<
  { placeId: number },
  { id: number; title: string; opens_at: unknown; closes_at: unknown; framework_version_id: number; published_at: unknown }
>(
  (db, { placeId }) =>
    db('rounds as r')
      .join('round_places as rp', 'rp.round_id', 'r.id')
      .where('rp.place_id', placeId)
      .orderBy('r.closes_at', 'desc')
      .select('r.id', 'r.title', 'r.opens_at', 'r.closes_at', 'r.framework_version_id', 'r.published_at'),
  ['placeId'],
)

export class PlaceReturnData {
  constructor(private readonly db: Database) {}

  /** Every partner of the place, with their submitted answer to each criterion (for the side-by-side view). */
  async partnerAnswers(roundId: number, placeId: number, criterionCode?: string): Promise<PartnerAnswerRow[]> {
    const query = this.db('organisations as o')
      .join('responses as r', (j) => j.on('r.organisation_id', 'o.id').andOn('r.round_id', this.db.raw('?', [roundId])))
      .join('answers as a', 'a.response_id', 'r.id')
      .join('framework_criteria as c', 'c.id', 'a.criterion_id')
      .where({ 'o.place_id': placeId, 'r.status': 'submitted' })
      .orderBy(['o.name', 'c.position'])
      .select('o.id', 'o.name', 'c.code', 'a.level', 'a.not_sure', 'a.evidence', 'a.support_needed')
    if (criterionCode) query.where('c.code', criterionCode)
    const rows = (await query) as Array<{
      id: number
      name: string
      code: string
      level: number | null
      not_sure: unknown
      evidence: string | null
      support_needed: string | null
    }>
    return rows.map((r) => ({
      organisationId: r.id,
      organisationName: r.name,
      criterionCode: r.code,
      level: r.level,
      notSure: toBoolean(r.not_sure),
      evidence: r.evidence,
      supportNeeded: r.support_needed,
    }))
  }

  async ensureReturn(roundId: number, placeId: number, now: Date, executor: Executor): Promise<number> {
    await executor('place_returns')
      .insert({ round_id: roundId, place_id: placeId, status: 'draft', created_at: timestamp(now), updated_at: timestamp(now) })
      .onConflict(['round_id', 'place_id'])
      .ignore()
    return ((await executor('place_returns').where({ round_id: roundId, place_id: placeId }).first('id')) as { id: number }).id
  }

  async savePosition(
    placeReturnId: number,
    criterionId: number,
    position: { level: number | null; notSure: boolean; rationale: string; evidenceSummary: string | null },
    userId: number,
    now: Date,
    executor: Executor,
  ): Promise<void> {
    const values = {
      level: position.level,
      not_sure: position.notSure,
      rationale: position.rationale,
      evidence_summary: position.evidenceSummary,
      updated_at: timestamp(now),
      updated_by: userId,
    }
    await executor('place_positions')
      .insert({ place_return_id: placeReturnId, criterion_id: criterionId, ...values })
      .onConflict(['place_return_id', 'criterion_id'])
      .merge(values)
    await executor('place_returns').where({ id: placeReturnId }).update({ updated_at: timestamp(now) })
  }

  async setReturnStatus(placeReturnId: number, status: 'draft' | 'submitted', userId: number | null, now: Date, executor: Executor): Promise<boolean> {
    const updated = await executor('place_returns')
      .where({ id: placeReturnId, status: status === 'submitted' ? 'draft' : 'submitted' })
      .update({
        status,
        submitted_at: status === 'submitted' ? timestamp(now) : null,
        submitted_by: status === 'submitted' ? userId : null,
        updated_at: timestamp(now),
      })
    return updated === 1
  }

  async saveModeration(placeReturnId: number, criterionId: number, level: number, comment: string, userId: number, now: Date, executor: Executor): Promise<void> {
    const values = { level, comment, moderated_at: timestamp(now), moderated_by: userId }
    await executor('moderations')
      .insert({ place_return_id: placeReturnId, criterion_id: criterionId, ...values })
      .onConflict(['place_return_id', 'criterion_id'])
      .merge(values)
  }

  async removeModeration(placeReturnId: number, criterionId: number, executor: Executor): Promise<void> {
    await executor('moderations').where({ place_return_id: placeReturnId, criterion_id: criterionId }).delete()
  }

  async saveDecision(
    d: Omit<DecisionRecord, 'recordedAt' | 'recordedByName'>,
    userId: number,
    now: Date,
    executor: Executor,
  ): Promise<void> {
    const values = {
      recommended_level: d.recommendedLevel,
      decided_level: d.decidedLevel,
      rationale: d.rationale,
      difference_reason: d.differenceReason,
      decided_on: d.decidedOn,
      deciding_body: d.decidingBody,
      recommendation_snapshot: JSON.stringify(d.recommendationSnapshot),
      recorded_by: userId,
      recorded_at: timestamp(now),
    }
    await executor('delegation_decisions')
      .insert({ round_id: d.roundId, place_id: d.placeId, ...values })
      .onConflict(['round_id', 'place_id'])
      .merge(values)
  }

  async createAction(
    a: { placeId: number; roundId: number; criterionCode: string; description: string; ownerOrganisationId: number | null; dueDate: string; status: ActionStatus },
    userId: number,
    now: Date,
    executor: Executor,
  ): Promise<number> {
    const [row] = (await executor('development_actions').insert(
      {
        place_id: a.placeId,
        round_id: a.roundId,
        criterion_code: a.criterionCode,
        description: a.description,
        owner_organisation_id: a.ownerOrganisationId,
        due_date: a.dueDate,
        status: a.status,
        created_at: timestamp(now),
        created_by: userId,
        updated_at: timestamp(now),
        updated_by: userId,
      },
      ['id'],
    )) as Array<{ id: number }>
    return row!.id
  }

  async updateAction(
    id: number,
    placeId: number,
    a: { criterionCode: string; description: string; ownerOrganisationId: number | null; dueDate: string; status: ActionStatus },
    userId: number,
    now: Date,
    executor: Executor,
  ): Promise<boolean> {
    const updated = await executor('development_actions').where({ id, place_id: placeId }).update({
      criterion_code: a.criterionCode,
      description: a.description,
      owner_organisation_id: a.ownerOrganisationId,
      due_date: a.dueDate,
      status: a.status,
      updated_at: timestamp(now),
      updated_by: userId,
    })
    return updated === 1
  }

  /** The rounds a place takes part in, newest first, with when each opened and whether its results are published. */
  async roundsOfPlace(placeId: number): Promise<Array<{ id: number; title: string; opensAt: Date; closesAt: Date; frameworkVersionId: number; published: boolean }>> {
    const rows = await readRoundsOfPlace(this.db, { placeId })
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      opensAt: toDate(r.opens_at),
      closesAt: toDate(r.closes_at),
      frameworkVersionId: r.framework_version_id,
      published: r.published_at !== null && r.published_at !== undefined,
    }))
  }
}
