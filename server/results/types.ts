import type { CriterionRow } from '../data/frameworks'
import type { ActionRecord, DecisionRecord, ModerationRecord, PositionRecord } from '../data/placeReturns'
import type { PlaceRecord } from '../data/places'
import type { PlaceReturnRow } from '../data/results'
import type { RoundRecord } from '../data/rounds'
import type { FrameworkDocument } from '../framework/types'
import type { CriterionLevel, CriterionResult, ReadinessResult } from '../readiness/engine'

/** The results of one round: see server/results/index.ts for the whole API. */
export interface RoundResults {
  round: RoundInfo
  framework: FrameworkInfo
  /** Every taking-part place (in scope), by name. */
  places: PlaceResults[]
  /** Medians across the places above, to compare one place with the rest. */
  comparison: Comparison
}

export interface RoundInfo extends RoundRecord {
  /** When answers stop: the extension if there is one, else the closing date. */
  deadline: Date
  /** Against the read model's clock: before it opens, open, or past its deadline. */
  state: 'upcoming' | 'open' | 'closed'
}

export interface FrameworkInfo {
  versionId: number
  frameworkId: number
  slug: string
  title: string
  versionLabel: string
  /** The whole framework version (levels with descriptions, domains, readiness rules). */
  document: FrameworkDocument
  /** Level value -> name, e.g. 3 -> "Maturing". */
  levelNames: Record<number, string>
  /** Readiness outcome level -> name, e.g. 2 -> "Partial delegation". */
  outcomeNames: Record<1 | 2 | 3, string>
  domains: DomainInfo[]
  /** Every criterion in framework order, with its threshold and gateway flag. */
  criteria: CriterionRow[]
}

export interface DomainInfo {
  code: string
  title: string
  criterionCodes: string[]
}

/** The spread of a place's submitted partner answers to one criterion. */
export interface CriterionSpread {
  /** Submitted answers with a level or "Not sure yet". */
  answered: number
  notSure: number
  /** Answers at each level 1..n (every level present). */
  counts: Record<number, number>
  lowest: number | null
  highest: number | null
  /** Median of the answered levels, rounded down (null when none). */
  median: number | null
  /** Partners two or more levels apart. */
  disagreement: boolean
}

export interface CriterionResults {
  criterion: CriterionRow
  spread: CriterionSpread
  /** The place's agreed position (level, rationale, evidence summary), if agreed. */
  position: PositionRecord | undefined
  /** The ICS lead's moderated level and note, if moderated. */
  moderation: ModerationRecord | undefined
  /** The level used and where it came from ('moderation' | 'place' | 'partners' | 'none'), from resolveLevel. */
  used: CriterionLevel
  /** The readiness engine's verdict on this criterion: threshold, met, unmetReason, isGateway, blocksPartial. */
  result: CriterionResult
  evidence: {
    /** The place's agreed evidence summary. */
    agreedSummary: string | null
    /** The ICS lead's moderation comment. */
    moderationNote: string | null
  }
}

export interface DomainResults {
  code: string
  title: string
  /**
   * The domain's level: the median of its criteria's used levels (criteria without a level
   * left out), rounded down as the partners' median is; null when no criterion has a level.
   */
  level: number | null
  criteria: number
  withLevel: number
  met: number
}

export interface PlanAction extends ActionRecord {
  /** Not done and due before today (Europe/London). */
  overdue: boolean
  /** Raised in an earlier round and still in this round's plan. */
  carriedOver: boolean
}

export interface PlaceCompletion {
  /** Partner organisations of the place (all invited to answer). */
  invited: number
  submitted: number
  inProgress: number
  notStarted: number
}

export interface PlaceResults {
  place: PlaceRecord
  completion: PlaceCompletion
  /** The place return (status draft/submitted, created, updated, submitted at/by), if started. */
  placeReturn: PlaceReturnRow | undefined
  /** Every criterion in framework order. */
  criteria: CriterionResults[]
  domains: DomainResults[]
  /** The engine's recommendation: level, outcome, met/unmet, blocking gateways, nextLevel, explanation. */
  readiness: ReadinessResult
  /** The recorded delegation decision, if any. */
  decision: DecisionRecord | undefined
  /** The development plan as it stands in this round, by due date. */
  plan: PlanAction[]
}

export interface Comparison {
  /** How many places the medians are over. */
  places: number
  /** Criterion code -> median of the places' used levels (rounded down; null when none has a level). */
  criteria: Record<string, number | null>
  /** Domain code -> median of the places' domain levels. */
  domains: Record<string, number | null>
  /** How many places are recommended at each readiness level. */
  recommended: Record<1 | 2 | 3, number>
  /** How many places have a decision at each level. */
  decided: Record<1 | 2 | 3, number>
}
