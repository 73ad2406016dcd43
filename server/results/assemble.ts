import type { CriterionRow } from '../data/frameworks'
import type {
  CompletionRow,
  ModerationRow,
  PlaceCriterionAggregate,
  PlaceReturnRow,
  PlanActionRow,
  PositionRow,
  RoundPlaceRow,
  RoundWithFramework,
} from '../data/results'
import type { DecisionRecord } from '../data/placeReturns'
import type { FrameworkDocument } from '../framework/types'
import { londonIsoDate } from '../time/london'
import { assessReadiness, medianFromCounts, resolveLevel, type ReadinessRuleSet } from '../readiness/engine'
import { levelNames } from '../framework/levels'
import type {
  Comparison,
  CriterionResults,
  CriterionSpread,
  DomainResults,
  FrameworkInfo,
  PlaceResults,
  RoundInfo,
  RoundResults,
} from './types'

/**
 * Pure assembly of a round's results from the rows server/data/results.ts reads: no SQL and
 * no rules of its own. The level used comes from the engine's resolveLevel, the
 * recommendation from its assessReadiness, medians from its medianFromCounts.
 */

/** Everything the assembly needs, as read for a set of rounds (and optionally places). */
export interface ResultsRows {
  rounds: RoundWithFramework[]
  criteria: Map<number, CriterionRow[]>
  places: RoundPlaceRow[]
  aggregates: PlaceCriterionAggregate[]
  completion: CompletionRow[]
  returns: PlaceReturnRow[]
  positions: PositionRow[]
  moderations: ModerationRow[]
  decisions: DecisionRecord[]
  plans: PlanActionRow[]
}

export function rulesOf(framework: FrameworkDocument): ReadinessRuleSet {
  return {
    evidenceRequired: framework.readiness.evidenceRequired,
    partialShare: framework.readiness.partialShare,
    gatewayMinimumLevel: framework.readiness.gatewayMinimumLevel,
    levelNames: levelNames(framework),
    outcomeNames: Object.fromEntries(framework.readiness.outcomes.map((o) => [o.level, o.name])) as Record<1 | 2 | 3, string>,
  }
}

/** The median of some levels, rounded down (null for none), through the engine's medianFromCounts. */
export function medianOf(levels: Array<number | null>): number | null {
  const counts: Record<number, number> = {}
  for (const level of levels) if (level !== null) counts[level] = (counts[level] ?? 0) + 1
  return medianFromCounts(counts)
}

export function spreadOf(aggregate: PlaceCriterionAggregate | undefined, levelValues: number[]): CriterionSpread {
  const counts = Object.fromEntries(levelValues.map((level) => [level, aggregate?.counts[level] ?? 0]))
  const lowest = aggregate?.lowest ?? null
  const highest = aggregate?.highest ?? null
  return {
    answered: aggregate?.answered ?? 0,
    notSure: aggregate?.notSure ?? 0,
    counts,
    lowest,
    highest,
    median: medianFromCounts(counts),
    disagreement: lowest !== null && highest !== null && highest - lowest >= 2,
  }
}

/** Whether some submitted partner answer at or above the level gives evidence for it. */
export function partnersEvidence(aggregate: PlaceCriterionAggregate | undefined, level: number | null): boolean {
  if (!aggregate || level === null) return false
  return Object.entries(aggregate.evidenceCounts).some(([l, count]) => Number(l) >= level && count > 0)
}

function roundInfo(r: RoundWithFramework, now: Date): RoundInfo {
  const deadline = r.round.extendedUntil ?? r.round.closesAt
  const state = now < r.round.opensAt ? 'upcoming' : now < deadline ? 'open' : 'closed'
  return { ...r.round, deadline, state }
}

function frameworkInfo(r: RoundWithFramework, criteria: CriterionRow[]): FrameworkInfo {
  const rules = rulesOf(r.framework.document)
  return {
    ...r.framework,
    levelNames: rules.levelNames,
    outcomeNames: rules.outcomeNames,
    domains: r.framework.document.domains.map((d) => ({ code: d.code, title: d.title, criterionCodes: d.criteria.map((c) => c.code) })),
    criteria,
  }
}

/** Groups rows under a key; each key's rows keep their order. */
function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const row of rows) {
    const k = key(row)
    const group = groups.get(k)
    if (group) group.push(row)
    else groups.set(k, [row])
  }
  return groups
}

const rp = (roundId: number, placeId: number) => `${roundId}:${placeId}`
const rpc = (roundId: number, placeId: number, criterionId: number) => `${roundId}:${placeId}:${criterionId}`

function criterionResults(
  criteria: CriterionRow[],
  levelValues: number[],
  at: (criterionId: number) => {
    aggregate?: PlaceCriterionAggregate | undefined
    position?: PositionRow | undefined
    moderation?: ModerationRow | undefined
  },
) {
  return criteria.map((criterion) => {
    const { aggregate, position, moderation } = at(criterion.id)
    const spread = spreadOf(aggregate, levelValues)
    const used = resolveLevel({
      moderated: moderation,
      agreed: position && { level: position.notSure ? null : position.level, hasEvidence: Boolean(position.evidenceSummary?.trim()) },
      partners: { median: spread.median, hasEvidence: partnersEvidence(aggregate, spread.median) },
    })
    return { criterion, spread, position, moderation, used }
  })
}

function domainResults(framework: FrameworkInfo, criteria: CriterionResults[]): DomainResults[] {
  const byCode = new Map(criteria.map((c) => [c.criterion.code, c]))
  return framework.domains.map((domain) => {
    const members = domain.criterionCodes.map((code) => byCode.get(code)).filter((c): c is CriterionResults => c !== undefined)
    const levels = members.map((c) => c.used.level)
    return {
      code: domain.code,
      title: domain.title,
      level: medianOf(levels),
      criteria: members.length,
      withLevel: levels.filter((l) => l !== null).length,
      met: members.filter((c) => c.result.met).length,
    }
  })
}

export function comparisonOf(framework: FrameworkInfo, places: PlaceResults[]): Comparison {
  const tally = (levels: number[]) => ({
    1: levels.filter((l) => l === 1).length,
    2: levels.filter((l) => l === 2).length,
    3: levels.filter((l) => l === 3).length,
  })
  return {
    places: places.length,
    criteria: Object.fromEntries(
      framework.criteria.map((c) => [
        c.code,
        medianOf(places.map((p) => p.criteria.find((x) => x.criterion.id === c.id)?.used.level ?? null)),
      ]),
    ),
    domains: Object.fromEntries(
      framework.domains.map((d) => [d.code, medianOf(places.map((p) => p.domains.find((x) => x.code === d.code)?.level ?? null))]),
    ),
    recommended: tally(places.map((p) => p.readiness.level)),
    decided: tally(places.flatMap((p) => (p.decision ? [p.decision.decidedLevel] : []))),
  }
}

/** The results of every round in `rows`, in the order of `rows.rounds`, as of `now`. */
export function assembleResults(rows: ResultsRows, now: Date): RoundResults[] {
  const today = londonIsoDate(now)
  const aggregates = new Map(rows.aggregates.map((a) => [rpc(a.roundId, a.placeId, a.criterionId), a]))
  const positions = new Map(rows.positions.map((p) => [rpc(p.roundId, p.placeId, p.criterionId), p]))
  const moderations = new Map(rows.moderations.map((m) => [rpc(m.roundId, m.placeId, m.criterionId), m]))
  const completion = new Map(rows.completion.map((c) => [rp(c.roundId, c.placeId), c]))
  const returns = new Map(rows.returns.map((r) => [rp(r.roundId, r.placeId), r]))
  const decisions = new Map(rows.decisions.map((d) => [rp(d.roundId, d.placeId), d]))
  const plans = groupBy(rows.plans, (a) => rp(a.forRoundId, a.placeId))
  const placesOf = groupBy(rows.places, (p) => String(p.roundId))

  return rows.rounds.map((r) => {
    const roundId = r.round.id
    const framework = frameworkInfo(r, rows.criteria.get(r.framework.versionId) ?? [])
    const rules = rulesOf(r.framework.document)
    const levelValues = r.framework.document.levels.map((l) => l.value)
    const places: PlaceResults[] = (placesOf.get(String(roundId)) ?? []).map(({ roundId: _, ...place }) => {
      const resolved = criterionResults(framework.criteria, levelValues, (criterionId) => ({
        aggregate: aggregates.get(rpc(roundId, place.id, criterionId)),
        position: positions.get(rpc(roundId, place.id, criterionId)),
        moderation: moderations.get(rpc(roundId, place.id, criterionId)),
      }))
      const readiness = assessReadiness(
        framework.criteria.map((c) => ({ code: c.code, title: c.title, threshold: c.threshold, isGateway: c.isGateway })),
        new Map(resolved.map((c) => [c.criterion.code, c.used])),
        rules,
      )
      const criteria: CriterionResults[] = resolved.map((c, i) => ({
        ...c,
        result: readiness.criteria[i]!,
        evidence: { agreedSummary: c.position?.evidenceSummary ?? null, moderationNote: c.moderation?.comment ?? null },
      }))
      const counts = completion.get(rp(roundId, place.id))
      const invited = counts?.invited ?? 0
      const submitted = counts?.submitted ?? 0
      const inProgress = counts?.inProgress ?? 0
      return {
        place,
        completion: { invited, submitted, inProgress, notStarted: invited - submitted - inProgress },
        placeReturn: returns.get(rp(roundId, place.id)),
        criteria,
        domains: domainResults(framework, criteria),
        readiness,
        decision: decisions.get(rp(roundId, place.id)),
        plan: (plans.get(rp(roundId, place.id)) ?? []).map(({ forRoundId: _, ...action }) => ({
          ...action,
          overdue: action.status !== 'done' && action.dueDate < today,
          carriedOver: action.roundId !== roundId,
        })),
      }
    })
    return { round: roundInfo(r, now), framework, places, comparison: comparisonOf(framework, places) }
  })
}
