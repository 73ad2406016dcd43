import type { Database } from '../db/connection'
import { timestamp, toBoolean, toCount, toDate, toDateOrNull } from '../db/values'
import type { Executor } from './frameworks'

export interface CriterionAggregate {
  criterionId: number
  code: string
  /** Submitted partner answers with a level or "Not sure yet". */
  answered: number
  notSure: number
  /** How many submitted answers are at each level, 1..n. */
  counts: Record<number, number>
  /** How many submitted answers at each level give evidence. */
  evidenceCounts: Record<number, number>
  lowest: number | null
  highest: number | null
}

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

/** Portable "is true" for a boolean column, in SQL. */
const isTrue = '= ?'

export class PlaceReturnData {
  constructor(private readonly db: Database) {}

  /**
   * For every criterion of a framework version, the spread of a place's submitted partner
   * answers: counts per level, "Not sure yet", lowest and highest. Aggregated in SQL, one
   * row per criterion, however many partners answered.
   */
  async aggregate(roundId: number, placeId: number, versionId: number, levelCount: number): Promise<CriterionAggregate[]> {
    const submitted = this.db('answers as a')
      .join('responses as r', 'r.id', 'a.response_id')
      .join('organisations as o', 'o.id', 'r.organisation_id')
      .where({ 'r.round_id': roundId, 'r.status': 'submitted', 'o.place_id': placeId })
      .select('a.criterion_id', 'a.level', 'a.not_sure', 'a.evidence')
      .as('s')
    const hasEvidence = "s.evidence is not null and trim(s.evidence) <> ''"
    const levels = Array.from({ length: levelCount }, (_, i) => i + 1)
    const rows = (await this.db('framework_criteria as c')
      .leftJoin(submitted, 's.criterion_id', 'c.id')
      .where('c.version_id', versionId)
      .groupBy('c.id', 'c.code', 'c.position')
      .orderBy('c.position')
      .select(
        'c.id',
        'c.code',
        this.db.raw(`sum(case when s.level is not null or s.not_sure ${isTrue} then 1 else 0 end) as answered`, [true]),
        this.db.raw(`sum(case when s.not_sure ${isTrue} then 1 else 0 end) as not_sure`, [true]),
        this.db.raw('min(s.level) as lowest'),
        this.db.raw('max(s.level) as highest'),
        ...levels.map((level) => this.db.raw(`sum(case when s.level = ${level} then 1 else 0 end) as l${level}`)),
        ...levels.map((level) => this.db.raw(`sum(case when s.level = ${level} and ${hasEvidence} then 1 else 0 end) as e${level}`)),
      )) as Array<Record<string, unknown> & { id: number; code: string }>
    return rows.map((r) => ({
      criterionId: r.id,
      code: r.code,
      answered: toCount(r.answered),
      notSure: toCount(r.not_sure),
      counts: Object.fromEntries(levels.map((level) => [level, toCount(r[`l${level}`])])),
      evidenceCounts: Object.fromEntries(levels.map((level) => [level, toCount(r[`e${level}`])])),
      lowest: r.lowest === null ? null : Number(r.lowest),
      highest: r.highest === null ? null : Number(r.highest),
    }))
  }

  /** Submitted and invited partner organisations of a place in a round. */
  async completion(roundId: number, placeId: number): Promise<{ submitted: number; invited: number }> {
    const row = (await this.db('organisations as o')
      .leftJoin('responses as r', (j) => j.on('r.organisation_id', 'o.id').andOn('r.round_id', this.db.raw('?', [roundId])))
      .where('o.place_id', placeId)
      .first(this.db.raw('count(o.id) as invited'), this.db.raw("sum(case when r.status = 'submitted' then 1 else 0 end) as submitted"))) as
      | { invited: unknown; submitted: unknown }
      | undefined
    return { invited: toCount(row?.invited), submitted: toCount(row?.submitted) }
  }

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

  async findReturn(roundId: number, placeId: number, executor: Executor = this.db): Promise<PlaceReturnRecord | undefined> {
    const row = (await executor('place_returns as pr')
      .leftJoin('users as u', 'u.id', 'pr.submitted_by')
      .where({ 'pr.round_id': roundId, 'pr.place_id': placeId })
      .first('pr.id', 'pr.round_id', 'pr.place_id', 'pr.status', 'pr.submitted_at', 'u.name as submitted_by_name')) as
      | { id: number; round_id: number; place_id: number; status: 'draft' | 'submitted'; submitted_at: unknown; submitted_by_name: string | null }
      | undefined
    return (
      row && {
        id: row.id,
        roundId: row.round_id,
        placeId: row.place_id,
        status: row.status,
        submittedAt: toDateOrNull(row.submitted_at),
        submittedByName: row.submitted_by_name,
      }
    )
  }

  async ensureReturn(roundId: number, placeId: number, now: Date, executor: Executor): Promise<number> {
    await executor('place_returns')
      .insert({ round_id: roundId, place_id: placeId, status: 'draft', created_at: timestamp(now), updated_at: timestamp(now) })
      .onConflict(['round_id', 'place_id'])
      .ignore()
    return ((await executor('place_returns').where({ round_id: roundId, place_id: placeId }).first('id')) as { id: number }).id
  }

  async positions(placeReturnId: number, executor: Executor = this.db): Promise<Map<string, PositionRecord>> {
    const rows = (await executor('place_positions as pp')
      .join('framework_criteria as c', 'c.id', 'pp.criterion_id')
      .leftJoin('users as u', 'u.id', 'pp.updated_by')
      .where('pp.place_return_id', placeReturnId)
      .select('c.code', 'pp.level', 'pp.not_sure', 'pp.rationale', 'pp.evidence_summary', 'pp.updated_at', 'u.name as updated_by_name')) as Array<{
      code: string
      level: number | null
      not_sure: unknown
      rationale: string
      evidence_summary: string | null
      updated_at: unknown
      updated_by_name: string | null
    }>
    return new Map(
      rows.map((r) => [
        r.code,
        {
          code: r.code,
          level: r.level,
          notSure: toBoolean(r.not_sure),
          rationale: r.rationale,
          evidenceSummary: r.evidence_summary,
          updatedAt: toDate(r.updated_at),
          updatedByName: r.updated_by_name,
        },
      ]),
    )
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

  async moderations(placeReturnId: number): Promise<Map<string, ModerationRecord>> {
    const rows = (await this.db('moderations as m')
      .join('framework_criteria as c', 'c.id', 'm.criterion_id')
      .leftJoin('users as u', 'u.id', 'm.moderated_by')
      .where('m.place_return_id', placeReturnId)
      .select('c.code', 'm.level', 'm.comment', 'm.moderated_at', 'u.name as moderated_by_name')) as Array<{
      code: string
      level: number
      comment: string
      moderated_at: unknown
      moderated_by_name: string | null
    }>
    return new Map(
      rows.map((r) => [r.code, { code: r.code, level: r.level, comment: r.comment, moderatedAt: toDate(r.moderated_at), moderatedByName: r.moderated_by_name }]),
    )
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

  async decision(roundId: number, placeId: number): Promise<DecisionRecord | undefined> {
    const row = (await this.db('delegation_decisions as d')
      .leftJoin('users as u', 'u.id', 'd.recorded_by')
      .where({ 'd.round_id': roundId, 'd.place_id': placeId })
      .first('d.*', 'u.name as recorded_by_name')) as
      | {
          round_id: number
          place_id: number
          recommended_level: number
          decided_level: number
          rationale: string
          difference_reason: string | null
          decided_on: string
          deciding_body: string
          recommendation_snapshot: string
          recorded_at: unknown
          recorded_by_name: string | null
        }
      | undefined
    return (
      row && {
        roundId: row.round_id,
        placeId: row.place_id,
        recommendedLevel: row.recommended_level,
        decidedLevel: row.decided_level,
        rationale: row.rationale,
        differenceReason: row.difference_reason,
        decidedOn: row.decided_on,
        decidingBody: row.deciding_body,
        recommendationSnapshot: JSON.parse(row.recommendation_snapshot) as string[],
        recordedAt: toDate(row.recorded_at),
        recordedByName: row.recorded_by_name,
      }
    )
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

  async actions(placeId: number): Promise<ActionRecord[]> {
    const rows = (await this.db('development_actions as a')
      .join('rounds as r', 'r.id', 'a.round_id')
      .leftJoin('organisations as o', 'o.id', 'a.owner_organisation_id')
      .where('a.place_id', placeId)
      .orderBy([{ column: 'a.due_date' }, { column: 'a.id' }])
      .select('a.*', 'r.title as round_title', 'o.name as owner_name')) as Array<{
      id: number
      place_id: number
      round_id: number
      round_title: string
      criterion_code: string
      description: string
      owner_organisation_id: number | null
      owner_name: string | null
      due_date: string
      status: ActionStatus
      updated_at: unknown
    }>
    return rows.map((r) => ({
      id: r.id,
      placeId: r.place_id,
      roundId: r.round_id,
      roundTitle: r.round_title,
      criterionCode: r.criterion_code,
      description: r.description,
      ownerOrganisationId: r.owner_organisation_id,
      ownerName: r.owner_name,
      dueDate: r.due_date,
      status: r.status,
      updatedAt: toDate(r.updated_at),
    }))
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

  /** The rounds a place took part in, newest first. */
  async roundsOfPlace(placeId: number): Promise<Array<{ id: number; title: string; closesAt: Date; frameworkVersionId: number }>> {
    const rows = (await this.db('rounds as r')
      .join('round_places as rp', 'rp.round_id', 'r.id')
      .where('rp.place_id', placeId)
      .orderBy('r.closes_at', 'desc')
      .select('r.id', 'r.title', 'r.closes_at', 'r.framework_version_id')) as Array<{ id: number; title: string; closes_at: unknown; framework_version_id: number }>
    return rows.map((r) => ({ id: r.id, title: r.title, closesAt: toDate(r.closes_at), frameworkVersionId: r.framework_version_id }))
  }
}
