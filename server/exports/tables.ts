/**
 * What each export holds, column by column: defined once here and written by both the CSV
 * writer and the Excel module. Rows come from the results read model (results, plan) and from
 * server/data/exports.ts (answers, audit trail); nothing here computes readiness.
 */
import type { CriterionRow } from '../data/frameworks'
import type { AuditExportRow, RespondentRow, StoredAnswer } from '../data/exports'
import type { CriterionResults, PlaceResults, PlanAction, RoundResults } from '../results'
import type { Table } from './table'

export const responseStatusLabels = { not_started: 'Not started', in_progress: 'In progress', submitted: 'Submitted' } as const
export const levelSourceLabels = {
  moderation: 'ICS moderation',
  place: 'Place agreed',
  partners: 'Partners’ median (rounded down)',
  none: 'No level yet',
} as const
export const unmetReasonLabels = { 'no-level': 'No level', 'below-threshold': 'Below the threshold', 'no-evidence': 'No evidence' } as const
export const actionStatusLabels = { not_started: 'Not started', in_progress: 'In progress', done: 'Done' } as const

/** One organisation's answer to one criterion (or its absence): a row of the answers export. */
export interface AnswerExportRow {
  respondent: RespondentRow
  criterion: CriterionRow
  domainTitle: string
  answer: StoredAnswer | undefined
}

type LevelNames = Record<number, string>

export function answersTable(levelNames: LevelNames): Table<AnswerExportRow> {
  const name = (level: number | null | undefined) => (level === null || level === undefined ? null : (levelNames[level] ?? null))
  return {
    name: 'Answers',
    columns: [
      { header: 'Place', value: (r) => r.respondent.placeName, width: 22 },
      { header: 'Organisation', value: (r) => r.respondent.organisationName, width: 36 },
      { header: 'Organisation type', value: (r) => r.respondent.organisationKind, width: 16 },
      { header: 'Response status', value: (r) => responseStatusLabels[r.respondent.status], width: 16 },
      { header: 'Submitted (UK time)', kind: 'datetime', value: (r) => r.respondent.submittedAt },
      { header: 'Reference', value: (r) => r.respondent.reference, width: 16 },
      { header: 'Domain', value: (r) => r.domainTitle, width: 22 },
      { header: 'Criterion code', value: (r) => r.criterion.code, width: 14 },
      { header: 'Criterion', value: (r) => r.criterion.title, width: 40 },
      { header: 'Level', kind: 'number', value: (r) => r.answer?.level ?? null },
      { header: 'Level name', value: (r) => name(r.answer?.level), width: 14 },
      { header: 'Not sure yet', value: (r) => (r.answer ? r.answer.notSure : null), width: 12 },
      { header: 'Evidence', value: (r) => r.answer?.evidence ?? null, width: 60 },
      { header: 'Support needed', value: (r) => r.answer?.supportNeeded ?? null, width: 40 },
      { header: 'Target level', kind: 'number', value: (r) => r.answer?.targetLevel ?? null, width: 12 },
      { header: 'Target level name', value: (r) => name(r.answer?.targetLevel), width: 16 },
      { header: 'Last changed (UK time)', kind: 'datetime', value: (r) => r.answer?.updatedAt ?? null, width: 22 },
      { header: 'Changed by', value: (r) => r.answer?.updatedByName ?? null, width: 24 },
    ],
  }
}

/** One place's readiness: a row per place. */
export function readinessTable(results: RoundResults): Table<PlaceResults> {
  const outcome = (level: number | undefined) => (level === undefined ? null : (results.framework.outcomeNames[level as 1 | 2 | 3] ?? null))
  return {
    name: 'Readiness by place',
    columns: [
      { header: 'Place', value: (p) => p.place.name, width: 22 },
      { header: 'Partner organisations', kind: 'number', value: (p) => p.completion.invited },
      { header: 'Submitted', kind: 'number', value: (p) => p.completion.submitted },
      { header: 'In progress', kind: 'number', value: (p) => p.completion.inProgress },
      { header: 'Not started', kind: 'number', value: (p) => p.completion.notStarted },
      {
        header: 'Place return',
        value: (p) => (p.placeReturn ? (p.placeReturn.status === 'submitted' ? 'Submitted' : 'Draft') : 'Not started'),
      },
      { header: 'Place return submitted (UK time)', kind: 'datetime', value: (p) => p.placeReturn?.submittedAt ?? null, width: 22 },
      { header: 'Recommended level', kind: 'number', value: (p) => p.readiness.level },
      { header: 'Recommendation', value: (p) => p.readiness.outcome, width: 22 },
      { header: 'Thresholds met', kind: 'number', value: (p) => p.readiness.metCount },
      { header: 'Criteria', kind: 'number', value: (p) => p.readiness.total },
      { header: 'Gateways blocking', value: (p) => p.readiness.blockingGateways.join(', '), width: 18 },
      { header: 'Explanation', value: (p) => p.readiness.explanation.join('\n'), width: 60 },
      { header: 'Decided level', kind: 'number', value: (p) => p.decision?.decidedLevel ?? null },
      { header: 'Decision', value: (p) => outcome(p.decision?.decidedLevel), width: 22 },
      { header: 'Decision rationale', value: (p) => p.decision?.rationale ?? null, width: 50 },
      { header: 'Why the decision differs', value: (p) => p.decision?.differenceReason ?? null, width: 40 },
      { header: 'Decided on', kind: 'date', value: (p) => p.decision?.decidedOn ?? null },
      { header: 'Deciding body', value: (p) => p.decision?.decidingBody ?? null, width: 30 },
      { header: 'Decision recorded (UK time)', kind: 'datetime', value: (p) => p.decision?.recordedAt ?? null, width: 22 },
      { header: 'Recorded by', value: (p) => p.decision?.recordedByName ?? null, width: 24 },
    ],
  }
}

export interface CriterionResultRow {
  place: PlaceResults
  criterion: CriterionResults
}

/** Every criterion of every place: the level used and where it came from, the threshold, the place's recommendation and decision. */
export function criterionResultsTable(results: RoundResults): Table<CriterionResultRow> {
  const levelName = (level: number | null | undefined) =>
    level === null || level === undefined ? null : (results.framework.levelNames[level] ?? null)
  const outcome = (level: number | undefined) => (level === undefined ? null : (results.framework.outcomeNames[level as 1 | 2 | 3] ?? null))
  const domainTitle = new Map(results.framework.domains.map((d) => [d.code, d.title]))
  return {
    name: 'Criteria',
    columns: [
      { header: 'Place', value: (r) => r.place.place.name, width: 22 },
      { header: 'Domain', value: (r) => domainTitle.get(r.criterion.criterion.domainCode) ?? r.criterion.criterion.domainCode, width: 22 },
      { header: 'Criterion code', value: (r) => r.criterion.criterion.code, width: 14 },
      { header: 'Criterion', value: (r) => r.criterion.criterion.title, width: 40 },
      { header: 'Gateway', value: (r) => r.criterion.criterion.isGateway },
      { header: 'Threshold', kind: 'number', value: (r) => r.criterion.result.threshold },
      { header: 'Level used', kind: 'number', value: (r) => r.criterion.used.level },
      { header: 'Level name', value: (r) => levelName(r.criterion.used.level), width: 14 },
      { header: 'Where the level came from', value: (r) => levelSourceLabels[r.criterion.used.source], width: 28 },
      { header: 'Evidence given', value: (r) => r.criterion.used.hasEvidence },
      { header: 'Threshold met', value: (r) => r.criterion.result.met },
      {
        header: 'Why not met',
        value: (r) => (r.criterion.result.unmetReason ? unmetReasonLabels[r.criterion.result.unmetReason] : null),
        width: 18,
      },
      { header: 'Partners answered', kind: 'number', value: (r) => r.criterion.spread.answered },
      { header: 'Partners not sure', kind: 'number', value: (r) => r.criterion.spread.notSure },
      { header: 'Lowest partner level', kind: 'number', value: (r) => r.criterion.spread.lowest },
      { header: 'Highest partner level', kind: 'number', value: (r) => r.criterion.spread.highest },
      { header: 'Partners’ median (rounded down)', kind: 'number', value: (r) => r.criterion.spread.median },
      { header: 'Partners disagree', value: (r) => r.criterion.spread.disagreement },
      { header: 'Agreed level', kind: 'number', value: (r) => r.criterion.position?.level ?? null },
      { header: 'Agreed rationale', value: (r) => r.criterion.position?.rationale ?? null, width: 50 },
      { header: 'Agreed evidence', value: (r) => r.criterion.evidence.agreedSummary, width: 50 },
      { header: 'Moderated level', kind: 'number', value: (r) => r.criterion.moderation?.level ?? null },
      { header: 'Moderation note', value: (r) => r.criterion.evidence.moderationNote, width: 40 },
      { header: 'Place recommended level', kind: 'number', value: (r) => r.place.readiness.level },
      { header: 'Place recommendation', value: (r) => r.place.readiness.outcome, width: 22 },
      { header: 'Place decided level', kind: 'number', value: (r) => r.place.decision?.decidedLevel ?? null },
      { header: 'Place decision', value: (r) => outcome(r.place.decision?.decidedLevel), width: 22 },
      { header: 'Decision rationale', value: (r) => r.place.decision?.rationale ?? null, width: 50 },
    ],
  }
}

export function criterionResultRows(results: RoundResults): CriterionResultRow[] {
  return results.places.flatMap((place) => place.criteria.map((criterion) => ({ place, criterion })))
}

export interface PlanRow {
  place: PlaceResults
  action: PlanAction
}

export function planTable(results: RoundResults): Table<PlanRow> {
  const titles = new Map(results.framework.criteria.map((c) => [c.code, c.title]))
  return {
    name: 'Development plan',
    columns: [
      { header: 'Place', value: (r) => r.place.place.name, width: 22 },
      { header: 'Criterion code', value: (r) => r.action.criterionCode, width: 14 },
      { header: 'Criterion', value: (r) => titles.get(r.action.criterionCode) ?? null, width: 40 },
      { header: 'Action', value: (r) => r.action.description, width: 60 },
      { header: 'Owner', value: (r) => r.action.ownerName, width: 30 },
      { header: 'Due', kind: 'date', value: (r) => r.action.dueDate },
      { header: 'Status', value: (r) => actionStatusLabels[r.action.status], width: 12 },
      { header: 'Overdue', value: (r) => r.action.overdue },
      { header: 'Raised in round', value: (r) => r.action.roundTitle, width: 40 },
      { header: 'Carried over', value: (r) => r.action.carriedOver },
      { header: 'Last changed (UK time)', kind: 'datetime', value: (r) => r.action.updatedAt, width: 22 },
    ],
  }
}

export function planRows(results: RoundResults): PlanRow[] {
  return results.places.flatMap((place) => place.plan.map((action) => ({ place, action })))
}

export function auditTable(kindLabels: Record<string, string>): Table<AuditExportRow> {
  return {
    name: 'Audit trail',
    columns: [
      { header: 'When (UK time)', kind: 'datetime', value: (e) => e.occurredAt, width: 22 },
      { header: 'Event', value: (e) => kindLabels[e.kind] ?? e.kind, width: 30 },
      { header: 'Event code', value: (e) => e.kind, width: 24 },
      { header: 'Who', value: (e) => e.actorName, width: 24 },
      { header: 'Their e-mail', value: (e) => e.actorEmail, width: 30 },
      { header: 'Subject', value: (e) => e.subjectType, width: 16 },
      { header: 'Subject id', value: (e) => e.subjectId, width: 14 },
      { header: 'Details', value: (e) => e.details, width: 60 },
      { header: 'Address', value: (e) => e.ip, width: 16 },
    ],
  }
}
