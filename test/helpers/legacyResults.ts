import { FrameworkData } from '../../server/data/frameworks'
import { PlaceReturnData, type CriterionAggregate, type PositionRecord } from '../../server/data/placeReturns'
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
  const data = new PlaceReturnData(db)
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
