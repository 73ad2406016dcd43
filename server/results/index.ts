/**
 * The read model of a round's results: ONE place where a round's results are put together,
 * for the place pages, the dashboard, the PDFs, the exports and the API. Never recompute
 * readiness elsewhere: read it here.
 *
 * Use it through `services.results` (a `ResultsReadModel`), or `new ResultsReadModel(dbOrTrx, clock)`
 * inside a transaction:
 *
 *   round(roundId, { placeIds? })        -> RoundResults | undefined   one round
 *   rounds(roundIds, { placeIds? })      -> RoundResults[]             several rounds, oldest first
 *   acrossIcs(icsId, { placeIds? })      -> RoundResults[]             every round of an ICS, oldest first (trends)
 *   previousRound(roundId)               -> RoundRecord | undefined    the ICS's round that closed before this one
 *
 * Each call makes a fixed number of queries whatever the number of rounds, places or
 * criteria (one per kind of row, batched with `where round_id in (...)`, partners' spread
 * aggregated in SQL; see server/data/results.ts), then assembles in memory (assemble.ts, pure).
 *
 * It does NOT check access: the caller decides who may see what and passes `placeIds` to limit
 * a place lead to their places. With `placeIds`, only those places are read, and the
 * `comparison` medians are over them alone, so nothing outside the scope leaks.
 *
 * RoundResults (types.ts):
 *   round       RoundRecord (id, icsId, title, frameworkVersionId, opensAt, closesAt, extendedUntil)
 *               + deadline (extension or closing date) + state ('upcoming' | 'open' | 'closed')
 *   framework   versionId, slug, title, versionLabel, document (the whole framework file),
 *               levelNames {3: 'Maturing'}, outcomeNames {2: 'Partial delegation'},
 *               domains [{ code, title, criterionCodes }], criteria [CriterionRow: id, code, title,
 *               domainCode, threshold, isGateway, descriptors] in framework order
 *   places      PlaceResults[] by place name:
 *     place         { id, icsId, name, slug }
 *     completion    { invited, submitted, inProgress, notStarted } partner organisations
 *     placeReturn   { id, status 'draft' | 'submitted', createdAt, updatedAt, submittedAt, submittedByName } | undefined
 *     criteria      CriterionResults[] in framework order:
 *                     criterion, spread { answered, notSure, counts {level: n}, lowest, highest,
 *                     median (rounded down), disagreement (two or more levels apart) },
 *                     position (agreed level, notSure, rationale, evidenceSummary) | undefined,
 *                     moderation (level, comment, moderatedAt/By) | undefined,
 *                     used { level, source: 'moderation' | 'place' | 'partners' | 'none', hasEvidence },
 *                     result (engine: threshold, met, unmetReason, isGateway, blocksPartial = gateway
 *                     below the minimum), evidence { agreedSummary, moderationNote }
 *     domains       [{ code, title, level (median of used criterion levels, rounded down), criteria, withLevel, met }]
 *     readiness     ReadinessResult (server/readiness/engine.ts): level 1|2|3, outcome, met, unmet,
 *                   blockingGateways, nextLevel { required, chooseCount, choices }, explanation[]
 *     decision      { decidedLevel, recommendedLevel, rationale, differenceReason, decidedOn,
 *                   decidingBody, recordedAt, recordedByName, recommendationSnapshot } | undefined
 *     plan          PlanAction[] by due date: { id, criterionCode, description, ownerName,
 *                   ownerOrganisationId, dueDate, status, roundId, roundTitle, overdue, carriedOver }
 *                   (actions raised in this round or earlier ones of the ICS)
 *   comparison  { places, criteria {code: median}, domains {code: median}, recommended {1|2|3: n}, decided {1|2|3: n} }
 */
import { ResultsData, type ResultsScope } from '../data/results'
import type { Executor } from '../data/frameworks'
import type { RoundRecord } from '../data/rounds'
import { assembleResults } from './assemble'
import type { RoundResults } from './types'

export type * from './types'
export { rulesOf } from './assemble'

export interface ResultsOptions {
  /** Only these places (a place lead's scope); every taking-part place when absent. */
  placeIds?: readonly number[] | undefined
}

export class ResultsReadModel {
  private readonly data: ResultsData

  constructor(
    db: Executor,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.data = new ResultsData(db)
  }

  async round(roundId: number, options: ResultsOptions = {}): Promise<RoundResults | undefined> {
    return (await this.rounds([roundId], options))[0]
  }

  /** Results of several rounds (any ICSs), oldest first by closing date; unknown ids are left out. */
  async rounds(roundIds: readonly number[], options: ResultsOptions = {}): Promise<RoundResults[]> {
    const rounds = await this.data.rounds(roundIds)
    if (rounds.length === 0) return []
    const scope: ResultsScope = { roundIds: rounds.map((r) => r.round.id), placeIds: options.placeIds }
    const levelCount = Math.max(...rounds.map((r) => Math.max(0, ...r.framework.document.levels.map((l) => l.value))))
    const [criteria, places, aggregates, completion, returns, positions, moderations, decisions, plans] = await Promise.all([
      this.data.criteria(rounds.map((r) => r.framework.versionId)),
      this.data.places(scope),
      this.data.aggregates(scope, levelCount),
      this.data.completion(scope),
      this.data.returns(scope),
      this.data.positions(scope),
      this.data.moderations(scope),
      this.data.decisions(scope),
      this.data.plans(scope),
    ])
    return assembleResults(
      { rounds, criteria, places, aggregates, completion, returns, positions, moderations, decisions, plans },
      this.clock(),
    )
  }

  /**
   * Every round of an ICS that has opened, oldest first: the trend across rounds, in one more query
   * than `rounds`. With `includeUpcoming`, rounds set up early and not yet open too (the API lists them).
   */
  async acrossIcs(icsId: number, options: ResultsOptions & { includeUpcoming?: boolean } = {}): Promise<RoundResults[]> {
    return this.rounds(await this.data.roundIdsOfIcs(icsId, options.includeUpcoming ? undefined : this.clock()), options)
  }

  /** The round of the same ICS that closed last before this one (for "since the last round"). */
  async previousRound(roundId: number): Promise<RoundRecord | undefined> {
    return this.data.previousRound(roundId)
  }
}
