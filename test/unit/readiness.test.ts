import fc from 'fast-check'
import {
  assessReadiness,
  medianFromCounts,
  resolveLevel,
  type CriterionLevel,
  type ReadinessCriterion,
  type ReadinessRuleSet,
} from '../../server/readiness/engine'

const rules: ReadinessRuleSet = {
  evidenceRequired: true,
  partialShare: 0.5,
  gatewayMinimumLevel: 2,
  levelNames: { 1: 'Emerging', 2: 'Developing', 3: 'Maturing', 4: 'Thriving' },
  outcomeNames: { 1: 'ICB-led', 2: 'Partial delegation', 3: 'Full delegation' },
}

/** A small framework: 6 criteria, two of them gateways (G1, G2), thresholds at Maturing. */
const criteria: ReadinessCriterion[] = [
  { code: 'A1', title: 'Vision', threshold: 3, isGateway: false },
  { code: 'A2', title: 'Priorities', threshold: 3, isGateway: false },
  { code: 'A3', title: 'Leadership', threshold: 3, isGateway: false },
  { code: 'A4', title: 'Digital', threshold: 3, isGateway: false },
  { code: 'G1', title: 'Finance', threshold: 3, isGateway: true },
  { code: 'G2', title: 'Accountability', threshold: 3, isGateway: true },
]

const at = (level: number | null, hasEvidence = true, source: CriterionLevel['source'] = 'place'): CriterionLevel => ({
  level,
  hasEvidence,
  source,
})

function levelsOf(entries: Record<string, CriterionLevel>): Map<string, CriterionLevel> {
  return new Map(Object.entries(entries))
}

const allAt = (level: number) => levelsOf(Object.fromEntries(criteria.map((c) => [c.code, at(level)])))

describe('the readiness engine', () => {
  it('recommends full delegation when every threshold is met', () => {
    const result = assessReadiness(criteria, allAt(3), rules)
    expect(result.level).toBe(3)
    expect(result.outcome).toBe('Full delegation')
    expect(result.unmet).toEqual([])
    expect(result.nextLevel).toBeNull()
    expect(result.explanation[0]).toBe('Recommended: Level 3 – Full delegation. 6 of 6 criteria meet their thresholds.')
    expect(result.explanation).toContain('Every threshold is met: this is the highest level of delegation.')
  })

  it('recommends ICB-led when no threshold is met, and lists what partial delegation would take', () => {
    const result = assessReadiness(criteria, allAt(2), rules)
    expect(result.level).toBe(1)
    expect(result.met).toEqual([])
    expect(result.blockingGateways).toEqual([])
    expect(result.nextLevel).toMatchObject({ level: 2, required: [], chooseCount: 3 })
    expect(result.nextLevel!.choices.map((s) => s.code)).toEqual(['G1', 'G2', 'A1', 'A2', 'A3', 'A4'])
    expect(result.explanation).toContain('Partial delegation needs at least 3 of 6 thresholds met; 0 are.')
    expect(result.explanation).toContain('To reach Level 2 – Partial delegation: meet 3 more thresholds, from G1, G2, A1, A2, A3, A4.')
  })

  it('recommends partial delegation at exactly the "many" share', () => {
    const result = assessReadiness(criteria, levelsOf({ A1: at(3), A2: at(3), G1: at(3), A3: at(2), A4: at(2), G2: at(2) }), rules)
    expect(result.partialNeeds).toBe(3)
    expect(result.level).toBe(2)
    expect(result.nextLevel!.required.map((s) => `${s.code}: ${s.action}`)).toEqual([
      'A3: reach Maturing with evidence (now Developing)',
      'A4: reach Maturing with evidence (now Developing)',
      'G2: reach Maturing with evidence (now Developing)',
    ])
  })

  it('stays ICB-led one threshold short of the share', () => {
    const result = assessReadiness(criteria, levelsOf({ A1: at(3), G1: at(3), A2: at(2), A3: at(2), A4: at(2), G2: at(2) }), rules)
    expect(result.level).toBe(1)
    expect(result.nextLevel!.chooseCount).toBe(1)
  })

  it('uses the framework’s share: with 0.75, four of six are needed', () => {
    const result = assessReadiness(criteria, levelsOf({ A1: at(3), A2: at(3), G1: at(3), A3: at(2), A4: at(2), G2: at(2) }), {
      ...rules,
      partialShare: 0.75,
    })
    expect(result.partialNeeds).toBe(5)
    expect(result.level).toBe(1)
  })

  it('blocks partial delegation when a gateway is at Emerging, however many thresholds are met', () => {
    const result = assessReadiness(criteria, levelsOf({ A1: at(4), A2: at(4), A3: at(4), A4: at(4), G2: at(3), G1: at(1) }), rules)
    expect(result.metCount).toBe(5)
    expect(result.level).toBe(1)
    expect(result.blockingGateways).toEqual(['G1'])
    expect(result.nextLevel!.required.map((s) => s.action)).toEqual(['reach at least Developing (now Emerging): it is a gateway criterion'])
    expect(result.nextLevel!.chooseCount).toBe(0)
    expect(result.explanation).toContain('Partial delegation is blocked by gateway criterion below Developing: G1.')
  })

  it('does not count a threshold reached without evidence', () => {
    const result = assessReadiness(
      criteria,
      levelsOf({ ...Object.fromEntries(criteria.map((c) => [c.code, at(3)])), A4: at(4, false) }),
      rules,
    )
    expect(result.level).toBe(2)
    expect(result.unmet).toEqual(['A4'])
    expect(result.criteria.find((c) => c.code === 'A4')!.unmetReason).toBe('no-evidence')
    expect(result.nextLevel!.required[0]!.action).toBe('give evidence for its Thriving level')
    expect(result.explanation).toContain('A4 Digital is at Thriving but the place return gives no evidence for it.')
  })

  it('counts evidence only when the framework requires it', () => {
    expect(
      assessReadiness(criteria, levelsOf(Object.fromEntries(criteria.map((c) => [c.code, at(3, false)]))), {
        ...rules,
        evidenceRequired: false,
      }).level,
    ).toBe(3)
  })

  it('treats a missing or "Not sure yet" criterion as unmet, and a gateway with no level as blocking', () => {
    const result = assessReadiness(criteria, levelsOf({ A1: at(3), A2: at(3), A3: at(3), A4: at(null), G1: at(3) }), rules)
    expect(result.unmet).toEqual(['A4', 'G2'])
    expect(result.blockingGateways).toEqual(['G2'])
    expect(result.level).toBe(1)
    expect(result.criteria.find((c) => c.code === 'G2')).toMatchObject({ level: null, source: 'none', unmetReason: 'no-level' })
    expect(result.nextLevel!.required.map((s) => s.code)).toEqual(['G2'])
  })

  it('uses each criterion’s own threshold', () => {
    const custom = criteria.map((c) => (c.code === 'A1' ? { ...c, threshold: 4 } : c))
    const result = assessReadiness(custom, allAt(3), rules)
    expect(result.unmet).toEqual(['A1'])
    expect(result.nextLevel!.required[0]!.action).toBe('reach Thriving with evidence (now Maturing)')
  })
})

describe('which level a criterion uses', () => {
  it('prefers moderation over agreement over the partners’ median', () => {
    const partners = { median: 2, hasEvidence: true }
    const agreed = { level: 3, hasEvidence: true }
    expect(resolveLevel({ partners })).toEqual({ level: 2, source: 'partners', hasEvidence: true })
    expect(resolveLevel({ partners, agreed })).toEqual({ level: 3, source: 'place', hasEvidence: true })
    expect(resolveLevel({ partners, agreed, moderated: { level: 1 } })).toEqual({ level: 1, source: 'moderation', hasEvidence: true })
    expect(resolveLevel({})).toEqual({ level: null, source: 'none', hasEvidence: false })
    expect(resolveLevel({ partners: { median: null, hasEvidence: false } })).toEqual({ level: null, source: 'none', hasEvidence: false })
  })
})

describe('median from a histogram of levels', () => {
  it.each([
    [{}, null],
    [{ 3: 1 }, 3],
    [{ 1: 1, 4: 1 }, 2],
    [{ 2: 1, 3: 1 }, 2],
    [{ 2: 2, 3: 2 }, 2],
    [{ 3: 2, 4: 2 }, 3],
    [{ 1: 1, 2: 1, 4: 1 }, 2],
    [{ 1: 3, 4: 1 }, 1],
    [{ 2: 1, 3: 3 }, 3],
  ])('of %j is %s (rounded down)', (counts, median) => {
    expect(medianFromCounts(counts)).toBe(median)
  })
})

describe('readiness properties', () => {
  const levelArb = fc.record({
    level: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
    hasEvidence: fc.boolean(),
  })
  const levelsArb = fc.array(levelArb, { minLength: criteria.length, maxLength: criteria.length })
  const toMap = (values: Array<{ level: number | null; hasEvidence: boolean }>) =>
    new Map(criteria.map((c, i) => [c.code, { ...values[i]!, source: 'place' as const }]))

  it('never lowers readiness when any criterion’s level rises', () => {
    fc.assert(
      fc.property(levelsArb, fc.integer({ min: 0, max: criteria.length - 1 }), fc.integer({ min: 1, max: 3 }), (values, index, rise) => {
        const before = assessReadiness(criteria, toMap(values), rules).level
        const raised = values.map((v, i) => (i === index ? { ...v, level: Math.min(4, (v.level ?? 0) + rise) } : v))
        return assessReadiness(criteria, toMap(raised), rules).level >= before
      }),
    )
  })

  it('explains exactly the unmet thresholds', () => {
    fc.assert(
      fc.property(levelsArb, (values) => {
        const result = assessReadiness(criteria, toMap(values), rules)
        const listed = result.explanation.find((line) => line.startsWith('Thresholds not met: '))!
        const codes = listed.replace('Thresholds not met: ', '').replace(/\.$/, '')
        const expected = criteria
          .filter((c, i) => !(values[i]!.level !== null && values[i]!.level! >= c.threshold && values[i]!.hasEvidence))
          .map((c) => c.code)
        return codes === (expected.length ? expected.join(', ') : 'none') && result.unmet.join(',') === expected.join(',')
      }),
    )
  })

  it('meets the next level after taking the listed steps', () => {
    fc.assert(
      fc.property(levelsArb, (values) => {
        const result = assessReadiness(criteria, toMap(values), rules)
        if (!result.nextLevel) return true
        const steps = [...result.nextLevel.required, ...result.nextLevel.choices.slice(0, result.nextLevel.chooseCount)].map((s) => s.code)
        const improved = values.map((v, i) =>
          steps.includes(criteria[i]!.code) ? { level: Math.max(v.level ?? 0, 3), hasEvidence: true } : v,
        )
        return assessReadiness(criteria, toMap(improved), rules).level >= result.nextLevel.level
      }),
    )
  })
})
