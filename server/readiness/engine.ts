/**
 * The delegation readiness engine: a pure function from the level of each criterion (and
 * where it came from, and whether evidence backs it) to a recommendation that explains
 * itself. Every number and list comes from the framework's readiness rules.
 */

export type LevelSource = 'moderation' | 'place' | 'partners' | 'none'

export interface ReadinessCriterion {
  code: string
  title: string
  /** The level it must reach, with evidence, to count as met. */
  threshold: number
  isGateway: boolean
}

export interface CriterionLevel {
  /** null when there is no level: no answers yet, or only "Not sure yet". */
  level: number | null
  source: LevelSource
  hasEvidence: boolean
}

export interface ReadinessRuleSet {
  evidenceRequired: boolean
  /** Share of criteria that must meet their thresholds for partial delegation (0.5 = at least half). */
  partialShare: number
  gatewayMinimumLevel: number
  levelNames: Record<number, string>
  outcomeNames: Record<1 | 2 | 3, string>
}

export type UnmetReason = 'no-level' | 'below-threshold' | 'no-evidence'

export interface CriterionResult {
  code: string
  title: string
  level: number | null
  source: LevelSource
  hasEvidence: boolean
  threshold: number
  isGateway: boolean
  met: boolean
  unmetReason: UnmetReason | null
  /** A gateway below the gateway minimum blocks partial delegation. */
  blocksPartial: boolean
}

export interface NextStep {
  code: string
  title: string
  /** What this criterion needs, in words: "reach Maturing (now Developing) with evidence". */
  action: string
}

export interface ReadinessResult {
  level: 1 | 2 | 3
  outcome: string
  criteria: CriterionResult[]
  met: string[]
  unmet: string[]
  blockingGateways: string[]
  metCount: number
  total: number
  /** How many thresholds partial delegation needs. */
  partialNeeds: number
  nextLevel: null | {
    level: 2 | 3
    outcome: string
    /** Every one of these is needed. */
    required: NextStep[]
    /** In addition, this many more of `choices` must be met (0 when none). */
    chooseCount: number
    choices: NextStep[]
  }
  explanation: string[]
}

function unmetReason(c: ReadinessCriterion, l: CriterionLevel, rules: ReadinessRuleSet): UnmetReason | null {
  if (l.level === null) return 'no-level'
  if (l.level < c.threshold) return 'below-threshold'
  if (rules.evidenceRequired && !l.hasEvidence) return 'no-evidence'
  return null
}

function name(rules: ReadinessRuleSet, level: number | null): string {
  return level === null ? 'no level' : (rules.levelNames[level] ?? `level ${level}`)
}

function thresholdStep(r: CriterionResult, rules: ReadinessRuleSet): NextStep {
  const target = name(rules, r.threshold)
  const withEvidence = rules.evidenceRequired ? ' with evidence' : ''
  let action: string
  if (r.unmetReason === 'no-evidence') action = `give evidence for its ${name(rules, r.level)} level`
  else if (r.level === null) action = `agree a level of ${target} or above${withEvidence} (it has no level yet)`
  else action = `reach ${target}${withEvidence} (now ${name(rules, r.level)})`
  return { code: r.code, title: r.title, action }
}

function gatewayStep(r: CriterionResult, rules: ReadinessRuleSet): NextStep {
  return {
    code: r.code,
    title: r.title,
    action: `reach at least ${name(rules, rules.gatewayMinimumLevel)} (now ${name(rules, r.level)}): it is a gateway criterion`,
  }
}

const list = (codes: string[]) => (codes.length === 0 ? 'none' : codes.join(', '))

export function assessReadiness(
  criteria: ReadinessCriterion[],
  levels: Map<string, CriterionLevel>,
  rules: ReadinessRuleSet,
): ReadinessResult {
  const results: CriterionResult[] = criteria.map((c) => {
    const l = levels.get(c.code) ?? { level: null, source: 'none' as const, hasEvidence: false }
    const reason = unmetReason(c, l, rules)
    return {
      code: c.code,
      title: c.title,
      level: l.level,
      source: l.source,
      hasEvidence: l.hasEvidence,
      threshold: c.threshold,
      isGateway: c.isGateway,
      met: reason === null,
      unmetReason: reason,
      blocksPartial: c.isGateway && (l.level === null || l.level < rules.gatewayMinimumLevel),
    }
  })
  const total = results.length
  const met = results.filter((r) => r.met)
  const unmet = results.filter((r) => !r.met)
  const blocking = results.filter((r) => r.blocksPartial)
  // "At least half": the smallest whole number of criteria that is at least the share.
  const partialNeeds = Math.ceil(rules.partialShare * total - 1e-9)
  const full = total > 0 && unmet.length === 0
  const partial = met.length >= partialNeeds && blocking.length === 0
  const level: 1 | 2 | 3 = full ? 3 : partial ? 2 : 1

  let nextLevel: ReadinessResult['nextLevel'] = null
  if (level === 2) {
    nextLevel = {
      level: 3,
      outcome: rules.outcomeNames[3],
      required: unmet.map((r) => thresholdStep(r, rules)),
      chooseCount: 0,
      choices: [],
    }
  } else if (level === 1) {
    const shortfall = Math.max(0, partialNeeds - met.length)
    // Raising a gateway to its threshold both unblocks and counts towards the share, so
    // gateways come first among the choices.
    const choices = [...unmet].sort((a, b) => Number(b.isGateway) - Number(a.isGateway)).map((r) => thresholdStep(r, rules))
    nextLevel = {
      level: 2,
      outcome: rules.outcomeNames[2],
      required: blocking.map((r) => gatewayStep(r, rules)),
      chooseCount: shortfall,
      choices: shortfall > 0 ? choices : [],
    }
  }

  const explanation: string[] = []
  const outcome = rules.outcomeNames[level]
  explanation.push(`Recommended: Level ${level} – ${outcome}. ${met.length} of ${total} criteria meet their thresholds.`)
  explanation.push(`Thresholds met: ${list(met.map((r) => r.code))}.`)
  explanation.push(`Thresholds not met: ${list(unmet.map((r) => r.code))}.`)
  for (const r of unmet) {
    const why =
      r.unmetReason === 'no-level'
        ? 'has no level yet'
        : r.unmetReason === 'below-threshold'
          ? `is at ${name(rules, r.level)}, below the ${name(rules, r.threshold)} threshold`
          : `is at ${name(rules, r.level)} but the place return gives no evidence for it`
    explanation.push(`${r.code} ${r.title} ${why}.`)
  }
  if (blocking.length > 0) {
    explanation.push(
      `Partial delegation is blocked by gateway ${blocking.length === 1 ? 'criterion' : 'criteria'} below ${name(rules, rules.gatewayMinimumLevel)}: ${list(blocking.map((r) => r.code))}.`,
    )
  }
  if (level === 1 && met.length < partialNeeds) {
    explanation.push(
      `Partial delegation needs at least ${partialNeeds} of ${total} thresholds met; ${met.length} ${met.length === 1 ? 'is' : 'are'}.`,
    )
  }
  if (nextLevel) {
    const steps = nextLevel.required.map((s) => `${s.code}: ${s.action}`)
    let sentence = `To reach Level ${nextLevel.level} – ${nextLevel.outcome}:`
    if (steps.length > 0) sentence += ` ${steps.join('; ')}`
    if (nextLevel.chooseCount > 0) {
      sentence += `${steps.length > 0 ? '; and' : ''} meet ${nextLevel.chooseCount} more ${nextLevel.chooseCount === 1 ? 'threshold' : 'thresholds'}, from ${list(nextLevel.choices.map((s) => s.code))}`
    }
    explanation.push(`${sentence}.`)
  } else {
    explanation.push('Every threshold is met: this is the highest level of delegation.')
  }

  return {
    level,
    outcome,
    criteria: results,
    met: met.map((r) => r.code),
    unmet: unmet.map((r) => r.code),
    blockingGateways: blocking.map((r) => r.code),
    metCount: met.length,
    total,
    partialNeeds,
    nextLevel,
    explanation,
  }
}

/**
 * The level a criterion uses, in order: the ICS lead's moderated level, else the place's
 * agreed level, else the median of the partners' submitted levels rounded down.
 */
export function resolveLevel(input: {
  moderated?: { level: number | null } | undefined
  agreed?: { level: number | null; hasEvidence: boolean } | undefined
  partners?: { median: number | null; hasEvidence: boolean } | undefined
}): CriterionLevel {
  if (input.moderated) return { level: input.moderated.level, source: 'moderation', hasEvidence: input.agreed?.hasEvidence ?? false }
  if (input.agreed) return { level: input.agreed.level, source: 'place', hasEvidence: input.agreed.hasEvidence }
  if (input.partners && input.partners.median !== null)
    return { level: input.partners.median, source: 'partners', hasEvidence: input.partners.hasEvidence }
  return { level: null, source: 'none', hasEvidence: false }
}

/** The median of a histogram of levels (count at each level), rounded down: the conservative default. */
export function medianFromCounts(counts: Record<number, number>): number | null {
  const values = Object.entries(counts)
    .map(([level, count]) => [Number(level), count] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => a[0] - b[0])
  const n = values.reduce((sum, [, count]) => sum + count, 0)
  if (n === 0) return null
  const at = (index: number): number => {
    let seen = 0
    for (const [level, count] of values) {
      seen += count
      if (index < seen) return level
    }
    return values[values.length - 1]![0]
  }
  return n % 2 === 1 ? at((n - 1) / 2) : Math.floor((at(n / 2 - 1) + at(n / 2)) / 2)
}
