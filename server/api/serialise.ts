/**
 * From the results read model and the export rows to the API's JSON shapes (schemas.ts). Pure:
 * no SQL and no rules; readiness is as the read model computed it.
 */
import type { z } from 'zod'
import type { FrameworkVersion, FrameworkVersionSummary, CriterionRow } from '../data/frameworks'
import type { PlaceResults, RoundResults } from '../results'
import type { RespondentAnswers as RespondentAnswersRow } from '../services/exportService'
import type * as S from './schemas'

export const apiBase = '/api/v1'

type Out<T extends z.ZodType> = z.input<T>

const iso = (date: Date) => date.toISOString()
const isoOrNull = (date: Date | null | undefined) => (date ? date.toISOString() : null)

export function roundLinks(roundId: number, framework: { frameworkId: number; versionId: number }) {
  return {
    results: `${apiBase}/rounds/${roundId}/results`,
    places: `${apiBase}/rounds/${roundId}/places/{placeId}`,
    answers: `${apiBase}/rounds/${roundId}/answers`,
    framework: `${apiBase}/frameworks/${framework.frameworkId}?version=${framework.versionId}`,
    report: `${apiBase}/rounds/${roundId}/report.pdf`,
  }
}

export function round(results: RoundResults): Out<typeof S.Round> {
  const r = results.round
  return {
    id: r.id,
    title: r.title,
    state: r.state,
    opensAt: iso(r.opensAt),
    closesAt: iso(r.closesAt),
    extendedUntil: isoOrNull(r.extendedUntil),
    deadline: iso(r.deadline),
    framework: {
      id: results.framework.frameworkId,
      versionId: results.framework.versionId,
      slug: results.framework.slug,
      title: results.framework.title,
      version: results.framework.versionLabel,
    },
    places: results.places.map((p) => ({ id: p.place.id, name: p.place.name })),
    links: roundLinks(r.id, results.framework),
  }
}

function roundSummary(results: RoundResults): Out<typeof S.RoundResults>['round'] {
  return { id: results.round.id, title: results.round.title, state: results.round.state, deadline: iso(results.round.deadline) }
}

function recommendation(place: PlaceResults): Out<typeof S.Recommendation> {
  const r = place.readiness
  return {
    level: r.level,
    outcome: r.outcome,
    thresholdsMet: r.metCount,
    criteria: r.total,
    partialNeeds: r.partialNeeds,
    met: r.met,
    unmet: r.unmet,
    blockingGateways: r.blockingGateways,
    explanation: r.explanation,
    nextLevel: r.nextLevel && {
      level: r.nextLevel.level,
      outcome: r.nextLevel.outcome,
      required: r.nextLevel.required,
      chooseCount: r.nextLevel.chooseCount,
      choices: r.nextLevel.choices,
    },
  }
}

function decision(results: RoundResults, place: PlaceResults): Out<typeof S.Decision> | null {
  const d = place.decision
  if (!d) return null
  return {
    level: d.decidedLevel as 1 | 2 | 3,
    outcome: results.framework.outcomeNames[d.decidedLevel as 1 | 2 | 3] ?? `Level ${d.decidedLevel}`,
    recommendedLevel: d.recommendedLevel as 1 | 2 | 3,
    rationale: d.rationale,
    differenceReason: d.differenceReason,
    decidedOn: d.decidedOn,
    decidingBody: d.decidingBody,
    recordedAt: iso(d.recordedAt),
  }
}

function criterionResult(results: RoundResults, c: PlaceResults['criteria'][number]): Out<typeof S.CriterionResult> {
  return {
    code: c.criterion.code,
    title: c.criterion.title,
    domain: c.criterion.domainCode,
    isGateway: c.criterion.isGateway,
    threshold: c.result.threshold,
    level: c.used.level,
    levelName: c.used.level === null ? null : (results.framework.levelNames[c.used.level] ?? null),
    source: c.used.source,
    hasEvidence: c.used.hasEvidence,
    thresholdMet: c.result.met,
    unmetReason: c.result.unmetReason,
  }
}

export function placeLinks(roundId: number, placeId: number) {
  return { self: `${apiBase}/rounds/${roundId}/places/${placeId}`, report: `${apiBase}/rounds/${roundId}/places/${placeId}/report.pdf` }
}

export function placeResult(results: RoundResults, place: PlaceResults): Out<typeof S.PlaceResult> {
  return {
    place: { id: place.place.id, name: place.place.name },
    completion: place.completion,
    placeReturn: { status: place.placeReturn?.status ?? 'not_started', submittedAt: isoOrNull(place.placeReturn?.submittedAt) },
    recommendation: recommendation(place),
    decision: decision(results, place),
    criteria: place.criteria.map((c) => criterionResult(results, c)),
    links: placeLinks(results.round.id, place.place.id),
  }
}

export function roundResults(results: RoundResults): Out<typeof S.RoundResults> {
  return {
    data: results.places.map((p) => placeResult(results, p)),
    links: { self: `${apiBase}/rounds/${results.round.id}/results` },
    round: roundSummary(results),
  }
}

export function placeDetail(results: RoundResults, place: PlaceResults): Out<typeof S.PlaceDetail> {
  return {
    data: {
      ...placeResult(results, place),
      round: roundSummary(results),
      criteria: place.criteria.map((c) => ({
        ...criterionResult(results, c),
        spread: {
          answered: c.spread.answered,
          notSure: c.spread.notSure,
          counts: Object.fromEntries(Object.entries(c.spread.counts).map(([k, v]) => [String(k), v])),
          lowest: c.spread.lowest,
          highest: c.spread.highest,
          median: c.spread.median,
          disagreement: c.spread.disagreement,
        },
        agreed: c.position
          ? {
              level: c.position.level,
              notSure: c.position.notSure,
              rationale: c.position.rationale,
              evidenceSummary: c.position.evidenceSummary,
              updatedAt: iso(c.position.updatedAt),
            }
          : null,
        moderation: c.moderation
          ? { level: c.moderation.level, comment: c.moderation.comment, moderatedAt: iso(c.moderation.moderatedAt) }
          : null,
      })),
      domains: place.domains.map((d) => ({
        code: d.code,
        title: d.title,
        level: d.level,
        criteria: d.criteria,
        withLevel: d.withLevel,
        met: d.met,
      })),
      plan: place.plan.map((a) => ({
        id: a.id,
        criterion: a.criterionCode,
        description: a.description,
        owner: a.ownerName,
        dueDate: a.dueDate,
        status: a.status,
        overdue: a.overdue,
        carriedOver: a.carriedOver,
        raisedIn: { id: a.roundId, title: a.roundTitle },
      })),
    },
    links: { self: `${apiBase}/rounds/${results.round.id}/places/${place.place.id}` },
  }
}

export function respondentAnswers(row: RespondentAnswersRow): Out<typeof S.RespondentAnswers> {
  const r = row.respondent
  return {
    organisation: { id: r.organisationId, name: r.organisationName, kind: r.organisationKind },
    place: { id: r.placeId, name: r.placeName },
    response: { status: r.status, submittedAt: isoOrNull(r.submittedAt), reference: r.reference },
    answers: row.answers.map(({ criterion, answer }) => ({
      criterion: criterion.code,
      level: answer.level,
      notSure: answer.notSure,
      evidence: answer.evidence,
      supportNeeded: answer.supportNeeded,
      targetLevel: answer.targetLevel,
      updatedAt: iso(answer.updatedAt),
      updatedBy: answer.updatedByName,
    })),
  }
}

export function framework(
  version: FrameworkVersion,
  criteria: CriterionRow[],
  versions: FrameworkVersionSummary[],
  self: string,
): Out<typeof S.Framework> {
  const doc = version.document
  const byCode = new Map(criteria.map((c) => [c.code, c]))
  return {
    data: {
      id: version.frameworkId,
      slug: version.slug,
      title: version.title,
      versions: versions.map((v) => ({ id: v.id, version: v.versionLabel, createdAt: iso(v.createdAt), locked: v.lockedAt !== null })),
      version: {
        id: version.id,
        version: version.versionLabel,
        description: doc.description,
        levels: doc.levels.map((l) => ({ value: l.value, name: l.name, description: l.description })),
        domains: doc.domains.map((d) => ({
          code: d.code,
          title: d.title,
          description: d.description ?? null,
          criteria: d.criteria.map((c) => ({
            code: c.code,
            title: c.title,
            description: c.description,
            threshold: byCode.get(c.code)?.threshold ?? c.threshold ?? doc.readiness.defaultThreshold,
            isGateway: byCode.get(c.code)?.isGateway ?? doc.readiness.gatewayCriteria.includes(c.code),
            descriptors: c.descriptors.map((x) => ({ level: x.level, text: x.text })),
          })),
        })),
        readiness: {
          evidenceRequired: doc.readiness.evidenceRequired,
          partialShare: doc.readiness.partialShare,
          gatewayCriteria: doc.readiness.gatewayCriteria,
          gatewayMinimumLevel: doc.readiness.gatewayMinimumLevel,
          outcomes: doc.readiness.outcomes.map((o) => ({ level: o.level, name: o.name, description: o.description })),
        },
      },
    },
    links: { self },
  }
}
