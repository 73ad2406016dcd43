import { timestamp, toBoolean, toCount, toDate, toDateOrNull } from '../db/values'
import type { FrameworkDocument } from '../framework/types'
import { criteriaOfVersions, documentColumn, documentOf, type CriterionRow, type Executor } from './frameworks'
import type { ActionRecord, ActionStatus, DecisionRecord, ModerationRecord, PlaceReturnRecord, PositionRecord } from './placeReturns'
import type { PlaceRecord } from './places'
import { organisationInRoundSql, roundColumns, toRound, type RoundRecord, type RoundRow } from './rounds'

/**
 * The rows a round's results are built from, read for any number of rounds and places in a
 * fixed number of queries (one per kind of row, each `where round_id in (...)`), with the
 * partners' spread aggregated in SQL. server/results/ assembles them; nothing here decides
 * anything.
 */

/** Which rounds, and optionally which of their places (a place lead's scope). */
export interface ResultsScope {
  roundIds: readonly number[]
  /** When given, only these places are read. */
  placeIds?: readonly number[] | undefined
}

export interface RoundWithFramework {
  round: RoundRecord
  framework: { versionId: number; frameworkId: number; slug: string; title: string; versionLabel: string; document: FrameworkDocument }
}

export interface RoundPlaceRow extends PlaceRecord {
  roundId: number
}

/** The spread of one place's submitted partner answers to one criterion in one round. */
export interface PlaceCriterionAggregate {
  roundId: number
  placeId: number
  criterionId: number
  /** Submitted partner answers with a level or "Not sure yet". */
  answered: number
  notSure: number
  /** How many submitted answers are at each level 1..n (every level present, 0 when none). */
  counts: Record<number, number>
  /** How many submitted answers at each level give evidence. */
  evidenceCounts: Record<number, number>
  lowest: number | null
  highest: number | null
}

export interface CompletionRow {
  roundId: number
  placeId: number
  /** Partner organisations of the place (each is invited to answer). */
  invited: number
  submitted: number
  /** Started (saved something) but not submitted. */
  inProgress: number
}

export interface PlaceReturnRow extends PlaceReturnRecord {
  createdAt: Date
  updatedAt: Date
}

export type PositionRow = PositionRecord & { roundId: number; placeId: number; criterionId: number }
export type ModerationRow = ModerationRecord & { roundId: number; placeId: number; criterionId: number }

/** An action of a place's development plan, as it stands in the plan of round `forRoundId`. */
export interface PlanActionRow extends ActionRecord {
  forRoundId: number
}

type Row = Record<string, unknown>

export class ResultsData {
  constructor(private readonly db: Executor) {}

  private inScope<Q extends { whereIn(column: string, values: readonly number[]): Q }>(query: Q, placeColumn: string, scope: ResultsScope): Q {
    return scope.placeIds ? query.whereIn(placeColumn, scope.placeIds) : query
  }

  /** The rounds, each with its framework version's document: one query. */
  async rounds(roundIds: readonly number[]): Promise<RoundWithFramework[]> {
    if (roundIds.length === 0) return []
    const rows = (await this.db('rounds as rd')
      .join('framework_versions as v', 'v.id', 'rd.framework_version_id')
      .join('frameworks as f', 'f.id', 'v.framework_id')
      .whereIn('rd.id', [...roundIds])
      .orderBy([{ column: 'rd.closes_at' }, { column: 'rd.id' }])
      .select(
        ...roundColumns('rd'),
        'v.framework_id',
        'v.version_label',
        'v.content_hash',
        documentColumn(this.db),
        'f.slug',
        'f.title as framework_title',
      )) as Array<
      RoundRow & { framework_id: number; version_label: string; content_hash: string; document: string | null; slug: string; framework_title: string }
    >
    return rows.map((r) => ({
      round: toRound(r),
      framework: {
        versionId: r.framework_version_id,
        frameworkId: r.framework_id,
        slug: r.slug,
        title: r.framework_title,
        versionLabel: r.version_label,
        document: documentOf(r.content_hash, r.document),
      },
    }))
  }

  /** The ids of an ICS's rounds, oldest first (by closing date). */
  async roundIdsOfIcs(icsId: number, openedBy?: Date): Promise<number[]> {
    const query = this.db('rounds').where({ ics_id: icsId })
    // A round that has not opened has no results: it is not part of a trend yet.
    if (openedBy) query.where('opens_at', '<=', timestamp(openedBy))
    const rows = (await query.orderBy([{ column: 'closes_at' }, { column: 'id' }]).select('id')) as Array<{ id: number }>
    return rows.map((r) => r.id)
  }

  /** The round of the same ICS that closed last before this one closes, if any. */
  async previousRound(roundId: number): Promise<RoundRecord | undefined> {
    const row = (await this.db('rounds as rd')
      .join('rounds as this_round', 'this_round.ics_id', 'rd.ics_id')
      .where('this_round.id', roundId)
      .where((q) => {
        q.where('rd.closes_at', '<', this.db.ref('this_round.closes_at')).orWhere((q2) => {
          q2.where('rd.closes_at', this.db.ref('this_round.closes_at')).where('rd.id', '<', this.db.ref('this_round.id'))
        })
      })
      .orderBy([{ column: 'rd.closes_at', order: 'desc' }, { column: 'rd.id', order: 'desc' }])
      .first(roundColumns('rd'))) as
      | RoundRow
      | undefined
    return row && toRound(row)
  }

  async criteria(versionIds: readonly number[]): Promise<Map<number, CriterionRow[]>> {
    return criteriaOfVersions(this.db, versionIds)
  }

  /** The places taking part in the rounds, by name. */
  async places(scope: ResultsScope): Promise<RoundPlaceRow[]> {
    if (scope.roundIds.length === 0) return []
    const rows = (await this.inScope(
      this.db('round_places as rp').join('places as p', 'p.id', 'rp.place_id').whereIn('rp.round_id', [...scope.roundIds]),
      'rp.place_id',
      scope,
    )
      .orderBy([{ column: 'p.name' }, { column: 'p.id' }])
      .select('rp.round_id', 'p.id', 'p.ics_id', 'p.name', 'p.slug', 'p.retired_at')) as Array<{
      round_id: number
      id: number
      ics_id: number
      name: string
      slug: string
      retired_at: unknown
    }>
    return rows.map((r) => ({ roundId: r.round_id, id: r.id, icsId: r.ics_id, name: r.name, slug: r.slug, retiredAt: toDateOrNull(r.retired_at) }))
  }

  /**
   * The spread of submitted partner answers per round, place and criterion, aggregated in
   * SQL: one row per criterion some submitted answer touches, however many partners answered.
   * Criteria nobody answered have no row.
   */
  async aggregates(scope: ResultsScope, levelCount: number): Promise<PlaceCriterionAggregate[]> {
    if (scope.roundIds.length === 0) return []
    const hasEvidence = "a.evidence is not null and trim(a.evidence) <> ''"
    const levels = Array.from({ length: levelCount }, (_, i) => i + 1)
    const rows = (await this.inScope(
      this.db('answers as a')
        .join('responses as r', 'r.id', 'a.response_id')
        .join('organisations as o', 'o.id', 'r.organisation_id')
        .join('round_places as rp', (j) => j.on('rp.round_id', 'r.round_id').andOn('rp.place_id', 'o.place_id'))
        .whereIn('r.round_id', [...scope.roundIds])
        .where('r.status', 'submitted'),
      'o.place_id',
      scope,
    )
      .groupBy('r.round_id', 'o.place_id', 'a.criterion_id')
      .select(
        'r.round_id',
        'o.place_id',
        'a.criterion_id',
        this.db.raw('sum(case when a.level is not null or a.not_sure = ? then 1 else 0 end) as answered', [true]),
        this.db.raw('sum(case when a.not_sure = ? then 1 else 0 end) as not_sure', [true]),
        this.db.raw('min(a.level) as lowest'),
        this.db.raw('max(a.level) as highest'),
        ...levels.map((level) => this.db.raw(`sum(case when a.level = ${level} then 1 else 0 end) as l${level}`)),
        ...levels.map((level) => this.db.raw(`sum(case when a.level = ${level} and ${hasEvidence} then 1 else 0 end) as e${level}`)),
      )) as Array<Row & { round_id: number; place_id: number; criterion_id: number }>
    return rows.map((r) => ({
      roundId: r.round_id,
      placeId: r.place_id,
      criterionId: r.criterion_id,
      answered: toCount(r.answered),
      notSure: toCount(r.not_sure),
      counts: Object.fromEntries(levels.map((level) => [level, toCount(r[`l${level}`])])),
      evidenceCounts: Object.fromEntries(levels.map((level) => [level, toCount(r[`e${level}`])])),
      lowest: r.lowest === null ? null : Number(r.lowest),
      highest: r.highest === null ? null : Number(r.highest),
    }))
  }

  /** Partner organisations per round and place, and how many have submitted or started: counted in SQL. */
  async completion(scope: ResultsScope): Promise<CompletionRow[]> {
    if (scope.roundIds.length === 0) return []
    const rows = (await this.inScope(
      this.db('round_places as rp')
        .join('rounds as rd', 'rd.id', 'rp.round_id')
        .join('organisations as o', 'o.place_id', 'rp.place_id')
        .leftJoin('responses as r', (j) => j.on('r.organisation_id', 'o.id').andOn('r.round_id', 'rp.round_id'))
        .whereIn('rp.round_id', [...scope.roundIds])
        // A retired organisation counts only in the rounds it took part in.
        .whereRaw(organisationInRoundSql()),
      'rp.place_id',
      scope,
    )
      .groupBy('rp.round_id', 'rp.place_id')
      .select(
        'rp.round_id',
        'rp.place_id',
        this.db.raw('count(o.id) as invited'),
        this.db.raw("sum(case when r.status = 'submitted' then 1 else 0 end) as submitted"),
        this.db.raw("sum(case when r.status = 'in_progress' then 1 else 0 end) as in_progress"),
      )) as Array<{ round_id: number; place_id: number; invited: unknown; submitted: unknown; in_progress: unknown }>
    return rows.map((r) => ({
      roundId: r.round_id,
      placeId: r.place_id,
      invited: toCount(r.invited),
      submitted: toCount(r.submitted),
      inProgress: toCount(r.in_progress),
    }))
  }

  async returns(scope: ResultsScope): Promise<PlaceReturnRow[]> {
    if (scope.roundIds.length === 0) return []
    const rows = (await this.inScope(
      this.db('place_returns as pr').leftJoin('users as u', 'u.id', 'pr.submitted_by').whereIn('pr.round_id', [...scope.roundIds]),
      'pr.place_id',
      scope,
    ).select('pr.id', 'pr.round_id', 'pr.place_id', 'pr.status', 'pr.submitted_at', 'pr.created_at', 'pr.updated_at', 'u.name as submitted_by_name')) as Array<{
      id: number
      round_id: number
      place_id: number
      status: 'draft' | 'submitted'
      submitted_at: unknown
      created_at: unknown
      updated_at: unknown
      submitted_by_name: string | null
    }>
    return rows.map((r) => ({
      id: r.id,
      roundId: r.round_id,
      placeId: r.place_id,
      status: r.status,
      submittedAt: toDateOrNull(r.submitted_at),
      submittedByName: r.submitted_by_name,
      createdAt: toDate(r.created_at),
      updatedAt: toDate(r.updated_at),
    }))
  }

  /** The places' agreed positions per criterion. */
  async positions(scope: ResultsScope): Promise<PositionRow[]> {
    if (scope.roundIds.length === 0) return []
    const rows = (await this.inScope(
      this.db('place_positions as pp')
        .join('place_returns as pr', 'pr.id', 'pp.place_return_id')
        .join('framework_criteria as c', 'c.id', 'pp.criterion_id')
        .leftJoin('users as u', 'u.id', 'pp.updated_by')
        .whereIn('pr.round_id', [...scope.roundIds]),
      'pr.place_id',
      scope,
    ).select(
      'pr.round_id',
      'pr.place_id',
      'pp.criterion_id',
      'c.code',
      'pp.level',
      'pp.not_sure',
      'pp.rationale',
      'pp.evidence_summary',
      'pp.updated_at',
      'u.name as updated_by_name',
    )) as Array<{
      round_id: number
      place_id: number
      criterion_id: number
      code: string
      level: number | null
      not_sure: unknown
      rationale: string
      evidence_summary: string | null
      updated_at: unknown
      updated_by_name: string | null
    }>
    return rows.map((r) => ({
      roundId: r.round_id,
      placeId: r.place_id,
      criterionId: r.criterion_id,
      code: r.code,
      level: r.level,
      notSure: toBoolean(r.not_sure),
      rationale: r.rationale,
      evidenceSummary: r.evidence_summary,
      updatedAt: toDate(r.updated_at),
      updatedByName: r.updated_by_name,
    }))
  }

  /** The ICS lead's moderated levels per criterion. */
  async moderations(scope: ResultsScope): Promise<ModerationRow[]> {
    if (scope.roundIds.length === 0) return []
    const rows = (await this.inScope(
      this.db('moderations as m')
        .join('place_returns as pr', 'pr.id', 'm.place_return_id')
        .join('framework_criteria as c', 'c.id', 'm.criterion_id')
        .leftJoin('users as u', 'u.id', 'm.moderated_by')
        .whereIn('pr.round_id', [...scope.roundIds]),
      'pr.place_id',
      scope,
    ).select('pr.round_id', 'pr.place_id', 'm.criterion_id', 'c.code', 'm.level', 'm.comment', 'm.moderated_at', 'u.name as moderated_by_name')) as Array<{
      round_id: number
      place_id: number
      criterion_id: number
      code: string
      level: number
      comment: string
      moderated_at: unknown
      moderated_by_name: string | null
    }>
    return rows.map((r) => ({
      roundId: r.round_id,
      placeId: r.place_id,
      criterionId: r.criterion_id,
      code: r.code,
      level: r.level,
      comment: r.comment,
      moderatedAt: toDate(r.moderated_at),
      moderatedByName: r.moderated_by_name,
    }))
  }

  async decisions(scope: ResultsScope): Promise<DecisionRecord[]> {
    if (scope.roundIds.length === 0) return []
    const rows = (await this.inScope(
      this.db('delegation_decisions as d').leftJoin('users as u', 'u.id', 'd.recorded_by').whereIn('d.round_id', [...scope.roundIds]),
      'd.place_id',
      scope,
    ).select(
      'd.round_id',
      'd.place_id',
      'd.recommended_level',
      'd.decided_level',
      'd.rationale',
      'd.difference_reason',
      'd.decided_on',
      'd.deciding_body',
      'd.recommendation_snapshot',
      'd.recorded_at',
      'u.name as recorded_by_name',
    )) as Array<{
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
    }>
    return rows.map((row) => ({
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
    }))
  }

  /**
   * Each place's development plan as it stands in each round: the actions raised in that
   * round or an earlier round of the same ICS (open actions carry over until done), by due date.
   */
  async plans(scope: ResultsScope): Promise<PlanActionRow[]> {
    if (scope.roundIds.length === 0) return []
    const rows = (await this.inScope(
      this.db('round_places as rp')
        .join('rounds as for_round', 'for_round.id', 'rp.round_id')
        .join('development_actions as a', 'a.place_id', 'rp.place_id')
        .join('rounds as raised', 'raised.id', 'a.round_id')
        .leftJoin('organisations as o', 'o.id', 'a.owner_organisation_id')
        .whereIn('rp.round_id', [...scope.roundIds])
        .whereRaw('raised.ics_id = for_round.ics_id')
        .where((q) => {
          q.where('raised.closes_at', '<', this.db.ref('for_round.closes_at')).orWhere((q2) => {
            q2.where('raised.closes_at', this.db.ref('for_round.closes_at')).where('raised.id', '<=', this.db.ref('for_round.id'))
          })
        }),
      'rp.place_id',
      scope,
    )
      .orderBy([{ column: 'a.due_date' }, { column: 'a.id' }])
      .select(
        'rp.round_id as for_round_id',
        'a.id',
        'a.place_id',
        'a.round_id',
        'raised.title as round_title',
        'a.criterion_code',
        'a.description',
        'a.owner_organisation_id',
        'o.name as owner_name',
        'a.due_date',
        'a.status',
        'a.updated_at',
      )) as Array<{
      for_round_id: number
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
      forRoundId: r.for_round_id,
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
