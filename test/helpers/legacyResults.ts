import { FrameworkData } from '../../server/data/frameworks'
import type {
  ActionRecord,
  ActionStatus,
  DecisionRecord,
  ModerationRecord,
  PlaceReturnRecord,
  PositionRecord,
} from '../../server/data/placeReturns'
import { toBoolean, toCount, toDate, toDateOrNull } from '../../server/db/values'
import type { Executor } from '../../server/data/frameworks'
import type { PlaceRecord } from '../../server/data/places'
import type { RoundRecord } from '../../server/data/rounds'
import type { Database } from '../../server/db/connection'
import { assessReadiness, medianFromCounts, resolveLevel, type ReadinessRuleSet } from '../../server/readiness/engine'
import type { FrameworkDocument } from '../../server/framework/types'

/**
 * How the place pages computed a place's results before the read model (server/results/):
 * one place at a time, with per-place queries, as PlaceReturnService.results did. Kept only
 * as the oracle the read model is compared with.
 */

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

/** Portable "is true" for a boolean column, in SQL. */
const isTrue = '= ?'

/** The per-place reads the place pages made, one place at a time (removed from server/data/ with the read model). */
class PerPlaceReads {
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
      // Organisations retired before the round with no answers in it took no part (issue 16); the demo has one.
      .where((q) => {
        q.whereNull('o.retired_at').orWhereNotNull('r.id')
      })
      .first(
        this.db.raw('count(o.id) as invited'),
        this.db.raw("sum(case when r.status = 'submitted' then 1 else 0 end) as submitted"),
      )) as { invited: unknown; submitted: unknown } | undefined
    return { invited: toCount(row?.invited), submitted: toCount(row?.submitted) }
  }

  async findReturn(roundId: number, placeId: number, executor: Executor = this.db): Promise<PlaceReturnRecord | undefined> {
    const row = (await executor('place_returns as pr')
      .leftJoin('users as u', 'u.id', 'pr.submitted_by')
      .where({ 'pr.round_id': roundId, 'pr.place_id': placeId })
      .first('pr.id', 'pr.round_id', 'pr.place_id', 'pr.status', 'pr.submitted_at', 'u.name as submitted_by_name')) as
      | {
          id: number
          round_id: number
          place_id: number
          status: 'draft' | 'submitted'
          submitted_at: unknown
          submitted_by_name: string | null
        }
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

  async positions(placeReturnId: number, executor: Executor = this.db): Promise<Map<string, PositionRecord>> {
    const rows = (await executor('place_positions as pp')
      .join('framework_criteria as c', 'c.id', 'pp.criterion_id')
      .leftJoin('users as u', 'u.id', 'pp.updated_by')
      .where('pp.place_return_id', placeReturnId)
      .select(
        'c.code',
        'pp.level',
        'pp.not_sure',
        'pp.rationale',
        'pp.evidence_summary',
        'pp.updated_at',
        'u.name as updated_by_name',
      )) as Array<{
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
      rows.map((r) => [
        r.code,
        { code: r.code, level: r.level, comment: r.comment, moderatedAt: toDate(r.moderated_at), moderatedByName: r.moderated_by_name },
      ]),
    )
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
}

function rulesOf(framework: FrameworkDocument): ReadinessRuleSet {
  return {
    evidenceRequired: framework.readiness.evidenceRequired,
    partialShare: framework.readiness.partialShare,
    gatewayMinimumLevel: framework.readiness.gatewayMinimumLevel,
    levelNames: Object.fromEntries(framework.levels.map((l) => [l.value, l.name])),
    outcomeNames: Object.fromEntries(framework.readiness.outcomes.map((o) => [o.level, o.name])) as Record<1 | 2 | 3, string>,
  }
}

function spreadOf(aggregate: CriterionAggregate | undefined) {
  if (!aggregate) return { answered: 0, notSure: 0, counts: {}, lowest: null, highest: null, median: null, disagreement: false }
  return {
    answered: aggregate.answered,
    notSure: aggregate.notSure,
    counts: aggregate.counts,
    lowest: aggregate.lowest,
    highest: aggregate.highest,
    median: medianFromCounts(aggregate.counts),
    disagreement: aggregate.lowest !== null && aggregate.highest !== null && aggregate.highest - aggregate.lowest >= 2,
  }
}

function partnersEvidence(aggregate: CriterionAggregate | undefined, level: number | null): boolean {
  if (!aggregate || level === null) return false
  return Object.entries(aggregate.evidenceCounts).some(([l, count]) => Number(l) >= level && count > 0)
}

export async function legacyPlaceResults(db: Database, round: RoundRecord, place: PlaceRecord) {
  const data = new PerPlaceReads(db)
  const frameworks = new FrameworkData(db)
  const version = await frameworks.getVersion(round.frameworkVersionId)
  const framework = version!.document
  const criteria = await frameworks.criteria(round.frameworkVersionId)
  const aggregates = new Map(
    (await data.aggregate(round.id, place.id, round.frameworkVersionId, framework.levels.length)).map((a) => [a.code, a]),
  )
  const placeReturn = await data.findReturn(round.id, place.id)
  const positions = placeReturn ? await data.positions(placeReturn.id) : new Map<string, PositionRecord>()
  const moderations = placeReturn ? await data.moderations(placeReturn.id) : new Map()
  const views = criteria.map((criterion) => {
    const aggregate = aggregates.get(criterion.code)
    const spread = spreadOf(aggregate)
    const position = positions.get(criterion.code)
    const moderation = moderations.get(criterion.code)
    const used = resolveLevel({
      moderated: moderation,
      agreed: position && { level: position.notSure ? null : position.level, hasEvidence: Boolean(position.evidenceSummary?.trim()) },
      partners: { median: spread.median, hasEvidence: partnersEvidence(aggregate, spread.median) },
    })
    return { criterion, spread, position, moderation, used }
  })
  const readiness = assessReadiness(
    criteria.map((c) => ({ code: c.code, title: c.title, threshold: c.threshold, isGateway: c.isGateway })),
    new Map(views.map((v) => [v.criterion.code, v.used])),
    rulesOf(framework),
  )
  return {
    framework,
    criteria: views,
    completion: await data.completion(round.id, place.id),
    placeReturn,
    readiness,
    decision: await data.decision(round.id, place.id),
    actions: await data.actions(place.id),
  }
}
