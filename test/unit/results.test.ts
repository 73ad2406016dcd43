import fs from 'node:fs'
import path from 'node:path'
import type { CriterionRow } from '../../server/data/frameworks'
import type { PlaceCriterionAggregate, RoundWithFramework } from '../../server/data/results'
import type { FrameworkDocument } from '../../server/framework/types'
import { assessReadiness } from '../../server/readiness/engine'
import { assembleResults, medianOf, rulesOf, spreadOf, type ResultsRows } from '../../server/results/assemble'
import { londonIsoDate } from '../../server/time/london'

const framework = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../framework/cheshire-merseyside-2021.json'), 'utf8'),
) as FrameworkDocument
const gateways = new Set(framework.readiness.gatewayCriteria)
const criteria: CriterionRow[] = framework.domains
  .flatMap((d) => d.criteria.map((c) => ({ code: c.code, title: c.title, domainCode: d.code })))
  .map((c, i) => ({
    ...c,
    id: 100 + i,
    description: '',
    threshold: framework.readiness.defaultThreshold,
    isGateway: gateways.has(c.code),
    position: i + 1,
    descriptors: [],
  }))
const id = (code: string) => criteria.find((c) => c.code === code)!.id
const levels = [1, 2, 3, 4]

const round: RoundWithFramework = {
  round: {
    id: 7,
    icsId: 1,
    title: 'Current',
    frameworkVersionId: 3,
    opensAt: new Date('2026-10-01T09:00:00Z'),
    closesAt: new Date('2026-11-30T17:00:00Z'),
    extendedUntil: null,
    closedAt: null,
    reminderDays: [7, 3, 1],
    copiedFromRoundId: null,
  },
  framework: {
    versionId: 3,
    frameworkId: 1,
    slug: framework.slug,
    title: framework.title,
    versionLabel: framework.version,
    document: framework,
  },
}

function aggregate(placeId: number, code: string, answers: Array<{ level: number | null; evidence: boolean }>): PlaceCriterionAggregate {
  const given = answers.map((a) => a.level).filter((l): l is number => l !== null)
  return {
    roundId: 7,
    placeId,
    criterionId: id(code),
    answered: answers.length,
    notSure: answers.filter((a) => a.level === null).length,
    counts: Object.fromEntries(levels.map((l) => [l, given.filter((g) => g === l).length])),
    evidenceCounts: Object.fromEntries(levels.map((l) => [l, answers.filter((a) => a.level === l && a.evidence).length])),
    lowest: given.length ? Math.min(...given) : null,
    highest: given.length ? Math.max(...given) : null,
  }
}

const at = new Date('2026-11-01T10:00:00Z')
const emptyRows = (): ResultsRows => ({
  rounds: [round],
  criteria: new Map([[3, criteria]]),
  places: [
    { roundId: 7, id: 1, icsId: 1, name: 'Alpha', slug: 'alpha', retiredAt: null },
    { roundId: 7, id: 2, icsId: 1, name: 'Beta', slug: 'beta', retiredAt: null },
  ],
  aggregates: [],
  completion: [],
  returns: [],
  positions: [],
  moderations: [],
  decisions: [],
  plans: [],
})

describe('results assembly (pure)', () => {
  it('takes moderation over the agreed level over the partners’ median, saying which', () => {
    const rows = emptyRows()
    rows.aggregates.push(
      aggregate(1, 'AV1', [
        { level: 2, evidence: true },
        { level: 3, evidence: true },
        { level: 4, evidence: false },
      ]),
      aggregate(1, 'AV2', [{ level: 4, evidence: true }]),
      aggregate(1, 'AV3', [{ level: 1, evidence: true }]),
    )
    const position = {
      roundId: 7,
      placeId: 1,
      level: 2,
      notSure: false,
      rationale: 'r',
      evidenceSummary: 'agreed evidence',
      updatedAt: at,
      updatedByName: 'Lead',
    }
    rows.positions.push({ ...position, criterionId: id('AV2'), code: 'AV2' }, { ...position, criterionId: id('AV3'), code: 'AV3' })
    rows.moderations.push({
      roundId: 7,
      placeId: 1,
      criterionId: id('AV3'),
      code: 'AV3',
      level: 4,
      comment: 'seen the plan',
      moderatedAt: at,
      moderatedByName: 'ICS',
    })
    const [results] = assembleResults(rows, at)
    const alpha = results!.places[0]!
    const av = (code: string) => alpha.criteria.find((c) => c.criterion.code === code)!
    expect(av('AV1').used).toEqual({ level: 3, source: 'partners', hasEvidence: true })
    expect(av('AV1').spread).toEqual({
      answered: 3,
      notSure: 0,
      counts: { 1: 0, 2: 1, 3: 1, 4: 1 },
      lowest: 2,
      highest: 4,
      median: 3,
      disagreement: true,
    })
    expect(av('AV2').used).toEqual({ level: 2, source: 'place', hasEvidence: true })
    expect(av('AV3').used).toEqual({ level: 4, source: 'moderation', hasEvidence: true })
    expect(av('AV3').evidence).toEqual({ agreedSummary: 'agreed evidence', moderationNote: 'seen the plan' })
    expect(av('AV3').result).toMatchObject({ met: true, threshold: 3 })
    expect(av('LC1').used.source).toBe('none')
    expect(av('LC1').spread).toEqual({
      answered: 0,
      notSure: 0,
      counts: { 1: 0, 2: 0, 3: 0, 4: 0 },
      lowest: null,
      highest: null,
      median: null,
      disagreement: false,
    })
  })

  it('uses the engine for the recommendation, with the same levels it resolved', () => {
    const rows = emptyRows()
    for (const c of criteria) rows.aggregates.push(aggregate(1, c.code, [{ level: c.isGateway ? 1 : 3, evidence: true }]))
    const alpha = assembleResults(rows, at)[0]!.places[0]!
    const expected = assessReadiness(
      criteria.map((c) => ({ code: c.code, title: c.title, threshold: c.threshold, isGateway: c.isGateway })),
      new Map(alpha.criteria.map((c) => [c.criterion.code, c.used])),
      rulesOf(framework),
    )
    expect(alpha.readiness).toEqual(expected)
    expect(alpha.readiness.level).toBe(1)
    expect(alpha.readiness.blockingGateways).toEqual([...gateways])
    expect(alpha.criteria.filter((c) => c.result.blocksPartial).map((c) => c.criterion.code)).toEqual([...gateways])
  })

  it('gives each domain the median of its criteria’s levels (rounded down), and the ICS medians across places', () => {
    const rows = emptyRows()
    // Alpha's Ambition & vision: 1, 2, 4 -> 2; Beta's: 4, 4 and no level -> 4.
    rows.aggregates.push(
      aggregate(1, 'AV1', [{ level: 1, evidence: true }]),
      aggregate(1, 'AV2', [{ level: 2, evidence: true }]),
      aggregate(1, 'AV3', [{ level: 4, evidence: true }]),
      aggregate(2, 'AV1', [{ level: 4, evidence: true }]),
      aggregate(2, 'AV2', [{ level: 4, evidence: false }]),
      aggregate(2, 'AV3', [{ level: null, evidence: false }]),
    )
    const [results] = assembleResults(rows, at)
    const [alpha, beta] = results!.places
    expect(alpha!.domains[0]).toEqual({ code: 'AV', title: framework.domains[0]!.title, level: 2, criteria: 3, withLevel: 3, met: 1 })
    expect(beta!.domains[0]).toMatchObject({ level: 4, withLevel: 2, met: 1 })
    expect(alpha!.domains[1]).toMatchObject({ code: 'LC', level: null, withLevel: 0 })
    expect(results!.comparison.places).toBe(2)
    expect(results!.comparison.criteria).toMatchObject({ AV1: 2, AV2: 3, AV3: 4, LC1: null })
    expect(results!.comparison.domains).toMatchObject({ AV: 3, LC: null })
    expect(results!.comparison.recommended).toEqual({ 1: 2, 2: 0, 3: 0 })
  })

  it('marks actions overdue by the London date, and carried over from earlier rounds', () => {
    const rows = emptyRows()
    const action = {
      forRoundId: 7,
      placeId: 1,
      roundTitle: 'x',
      criterionCode: 'AV1',
      description: 'd',
      ownerOrganisationId: null,
      ownerName: null,
      updatedAt: at,
    }
    rows.plans.push(
      { ...action, id: 1, roundId: 7, dueDate: '2026-06-30', status: 'in_progress' },
      { ...action, id: 2, roundId: 7, dueDate: '2026-07-01', status: 'not_started' },
      { ...action, id: 3, roundId: 5, dueDate: '2026-01-01', status: 'done' },
    )
    // 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    const now = new Date('2026-06-30T23:30:00Z')
    expect(londonIsoDate(now)).toBe('2026-07-01')
    const plan = assembleResults(rows, now)[0]!.places[0]!.plan
    expect(plan.map((a) => [a.id, a.overdue, a.carriedOver])).toEqual([
      [1, true, false],
      [2, false, false],
      [3, false, true],
    ])
    expect(assembleResults(rows, now)[0]!.places[1]!.plan).toEqual([])
  })

  it('counts partners who have not started, and gives the round its deadline and state', () => {
    const rows = emptyRows()
    rows.completion.push({ roundId: 7, placeId: 1, invited: 6, submitted: 2, inProgress: 3 })
    rows.rounds = [{ ...round, round: { ...round.round, extendedUntil: new Date('2026-12-07T17:00:00Z') } }]
    const [results] = assembleResults(rows, new Date('2026-12-01T10:00:00Z'))
    expect(results!.places[0]!.completion).toEqual({ invited: 6, submitted: 2, inProgress: 3, notStarted: 1 })
    expect(results!.places[1]!.completion).toEqual({ invited: 0, submitted: 0, inProgress: 0, notStarted: 0 })
    expect(results!.round.deadline).toEqual(new Date('2026-12-07T17:00:00Z'))
    expect(results!.round.state).toBe('open')
    expect(assembleResults(rows, new Date('2026-12-08T10:00:00Z'))[0]!.round.state).toBe('closed')
    expect(assembleResults(rows, new Date('2026-09-01T10:00:00Z'))[0]!.round.state).toBe('upcoming')
  })

  it('medians and spreads round down and ignore missing levels', () => {
    expect(medianOf([2, 3])).toBe(2)
    expect(medianOf([null, 4, 1, 3])).toBe(3)
    expect(medianOf([null])).toBeNull()
    expect(
      spreadOf(
        aggregate(1, 'AV1', [
          { level: 1, evidence: false },
          { level: 2, evidence: false },
        ]),
        levels,
      ),
    ).toMatchObject({ median: 1, disagreement: false })
  })
})
