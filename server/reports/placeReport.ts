import type { EvidenceExcerpt, Participant, Publication } from '../data/reports'
import type { CriterionResults, PlaceResults, RoundResults } from '../results'
import type { Block, ReportDocument, RichText, TableCell } from './model'
import { calendarDate, count, joinAnd, levelText, londonDate, outcomeText, shorten, sourceText } from './wording'
import { domainLevelsFigure, levelTicks } from './figures'

/**
 * The place report for a board: what the place's readiness is and why, criterion by criterion,
 * who took part and where they disagreed, the evidence, the development plan and how things
 * moved since the previous round. Pure: it only arranges the results read model's figures
 * into words, tables and charts; it computes no readiness of its own.
 */

export interface PlaceReportInput {
  icsName: string
  round: RoundResults
  place: PlaceResults
  /** The same place in the ICS's previous round, when it took part. */
  previous?: { round: RoundResults; place: PlaceResults } | undefined
  participants: Participant[]
  evidence: EvidenceExcerpt[]
  publication: Publication
  marking: string
  generatedAt: Date
}

const unmetText = {
  'no-level': 'No level',
  'below-threshold': 'Below threshold',
  'no-evidence': 'No evidence',
} as const

function criterionName(c: { code: string; title: string }): string {
  return `${c.code} ${c.title}`
}

function spreadText(c: CriterionResults): string {
  const s = c.spread
  if (s.answered === 0) return 'No answers'
  const parts: string[] = []
  if (s.lowest !== null && s.highest !== null) {
    parts.push(s.lowest === s.highest ? `all ${s.lowest}` : `${s.lowest} to ${s.highest}`)
    if (s.median !== null && s.lowest !== s.highest) parts.push(`median ${s.median}`)
  }
  if (s.notSure > 0) parts.push(`${s.notSure} not sure`)
  return `${count(s.answered, 'answer')}: ${parts.join(', ')}`
}

function decisionSentence(input: PlaceReportInput): RichText {
  const { place, round } = input
  const names = round.framework.outcomeNames
  const recommended = outcomeText(names, place.readiness.level)
  const decision = place.decision
  if (!decision) {
    return [
      { text: 'Recommendation: ', bold: true },
      { text: `${recommended}. The ICS lead has not yet recorded a delegation decision for this round.` },
    ]
  }
  const decided = outcomeText(names, decision.decidedLevel as 1 | 2 | 3)
  const day = calendarDate(decision.decidedOn)
  // The deciding body is often written with its meeting's date ("ICB Board, 12 January 2022").
  const by = decision.decidingBody.includes(day) ? decision.decidingBody : `${decision.decidingBody} on ${day}`
  const runs: RichText = [{ text: 'Decision: ', bold: true }, { text: `${decided}, decided by ${by}. ` }]
  if (decision.decidedLevel === decision.recommendedLevel) runs.push({ text: 'This follows the recommendation.' })
  else {
    const then = outcomeText(names, decision.recommendedLevel as 1 | 2 | 3)
    runs.push({ text: `The recommendation was ${then}; the decision differs because: ${shorten(decision.differenceReason ?? '', 400)}` })
  }
  return runs
}

function cover(input: PlaceReportInput, draft: boolean): Block[] {
  const { place, round, publication } = input
  const names = round.framework.outcomeNames
  const ret = place.placeReturn
  const returnText = !ret
    ? 'Not started'
    : ret.status === 'submitted' && ret.submittedAt
      ? `Submitted on ${londonDate(ret.submittedAt)}${ret.submittedByName ? ` by ${ret.submittedByName}` : ''}`
      : 'In draft, not yet submitted'
  const facts: Array<[string, string]> = [
    ['Place', place.place.name],
    ['Integrated care system', input.icsName],
    ['Assessment round', round.round.title],
    ['Deadline', londonDate(round.round.deadline)],
    ['Framework', `${round.framework.title} (${round.framework.versionLabel})`],
    ['Place return', returnText],
    ['Partner organisations that submitted', `${place.completion.submitted} of ${place.completion.invited}`],
    ['Recommended readiness', outcomeText(names, place.readiness.level)],
    [
      'Delegation decision',
      place.decision
        ? `${outcomeText(names, place.decision.decidedLevel as 1 | 2 | 3)} (${calendarDate(place.decision.decidedOn)})`
        : 'Not yet decided',
    ],
    ['Results', publication.publishedAt ? `Published on ${londonDate(publication.publishedAt)}` : 'Draft: not yet published'],
    ['Report produced', londonDate(input.generatedAt)],
  ]
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: `${place.place.name}: place readiness report` },
    { kind: 'paragraph', style: 'lead', text: `${round.round.title}. ${input.icsName}.` },
  ]
  if (draft) {
    blocks.push({
      kind: 'paragraph',
      style: 'callout',
      text: [
        { text: 'Draft. ', bold: true },
        { text: 'The ICS lead has not yet published these results, so they may still change. Do not circulate this report.' },
      ],
    })
  }
  blocks.push(
    { kind: 'paragraph', style: 'callout', text: decisionSentence(input) },
    {
      kind: 'table',
      caption: 'At a glance',
      rowHeaders: true,
      columns: [
        { header: 'Item', weight: 2 },
        { header: 'Detail', weight: 3 },
      ],
      rows: facts,
    },
    { kind: 'heading', level: 2, text: 'In this report' },
    {
      kind: 'list',
      items: [
        'Summary: the recommendation, why, and what it would take to reach the next level',
        'Domain levels, and every criterion’s level, threshold and partners’ answers',
        'Who took part, and where partners disagreed',
        'Evidence highlights for each criterion',
        'The development plan',
        input.previous ? `Since the previous round (${input.previous.round.round.title})` : 'Since the previous round',
      ],
    },
  )
  return blocks
}

function summary(input: PlaceReportInput): Block[] {
  const { place, round } = input
  const r = place.readiness
  const names = round.framework.outcomeNames
  const titles = new Map(round.framework.criteria.map((c) => [c.code, c.title]))
  const named = (code: string) => `${code} ${titles.get(code) ?? ''}`.trim()
  const blocks: Block[] = [{ kind: 'pageBreak' }, { kind: 'heading', level: 2, text: 'Summary' }]
  let why: string
  if (r.level === 3)
    why = 'Every criterion meets its threshold with evidence, so the ICB can be assured that the place is ready for full delegation.'
  else if (r.level === 2)
    why = `At least ${r.partialNeeds} of the ${r.total} thresholds are met and no gateway criterion is below ${levelText(round.framework.levelNames, round.framework.document.readiness.gatewayMinimumLevel)}, so the place is ready for partial delegation, but not every threshold is met yet.`
  else {
    const reasons: string[] = []
    if (r.blockingGateways.length > 0)
      reasons.push(
        `${count(r.blockingGateways.length, 'gateway criterion', 'gateway criteria')} (${joinAnd(r.blockingGateways)}) ${r.blockingGateways.length === 1 ? 'is' : 'are'} below ${round.framework.levelNames[round.framework.document.readiness.gatewayMinimumLevel] ?? 'the minimum'}`,
      )
    if (r.metCount < r.partialNeeds) reasons.push(`partial delegation needs at least ${r.partialNeeds} thresholds met`)
    why = `The ICB would lead and commission on the place’s behalf for now, because ${joinAnd(reasons) || 'the thresholds for partial delegation are not met'}.`
  }
  blocks.push({
    kind: 'paragraph',
    style: 'lead',
    text: `${place.place.name} is recommended for ${outcomeText(names, r.level)}: ${r.metCount} of ${r.total} criteria meet their thresholds. ${why}`,
  })
  if (place.decision)
    blocks.push({
      kind: 'paragraph',
      text: [{ text: 'Rationale for the decision: ', bold: true }, { text: shorten(place.decision.rationale, 700) }],
    })

  const strongest = [...place.domains].sort((a, b) => b.met / (b.criteria || 1) - a.met / (a.criteria || 1))
  const domainWords = strongest.map((d) => `${d.title}: ${d.met} of ${d.criteria} met`)
  blocks.push({ kind: 'paragraph', text: `By domain, ${joinAnd(domainWords)}.` })

  if (r.unmet.length > 0) {
    blocks.push({ kind: 'heading', level: 3, text: 'Thresholds not yet met' })
    blocks.push({
      kind: 'list',
      items: r.criteria
        .filter((c) => !c.met)
        .map((c) => [
          { text: `${named(c.code)}${c.isGateway ? ' (gateway)' : ''}: `, bold: true },
          {
            text:
              c.unmetReason === 'no-level'
                ? 'no level agreed yet.'
                : c.unmetReason === 'no-evidence'
                  ? `at ${levelText(round.framework.levelNames, c.level)}, but the place return gives no evidence for it.`
                  : `at ${levelText(round.framework.levelNames, c.level)}, below the ${round.framework.levelNames[c.threshold] ?? c.threshold} threshold.`,
          },
        ]),
    })
  }
  if (r.nextLevel) {
    const next = r.nextLevel
    blocks.push({ kind: 'heading', level: 3, text: `What it would take to reach ${outcomeText(names, next.level)}` })
    const items: RichText[] = next.required.map((s) => [{ text: `${named(s.code)}: `, bold: true }, { text: `${s.action}.` }])
    if (next.chooseCount > 0) {
      items.push(
        `${next.required.length > 0 ? 'And meet' : 'Meet'} ${count(next.chooseCount, 'more threshold')} from those not yet met (gateway criteria first): ${joinAnd(next.choices.map((s) => s.code))}.`,
      )
    }
    blocks.push({ kind: 'list', items })
  } else {
    blocks.push({ kind: 'paragraph', text: 'Every threshold is met: this is the highest level of delegation.' })
  }
  return blocks
}

function domainSection(input: PlaceReportInput): Block[] {
  const { place, round } = input
  const names = round.framework.levelNames
  return [
    { kind: 'heading', level: 2, text: 'Domain levels' },
    {
      kind: 'paragraph',
      text: 'A domain’s level is the median of the levels of its criteria (rounded down), with the thresholds its criteria meet.',
    },
    domainLevelsFigure(place, round, `${place.place.name}: median level in each domain`),
    {
      kind: 'table',
      caption: 'Domain levels and thresholds met',
      rowHeaders: true,
      columns: [
        { header: 'Domain', weight: 3 },
        { header: 'Median level', weight: 2 },
        { header: 'Criteria with a level', weight: 2 },
        { header: 'Thresholds met', weight: 2 },
      ],
      rows: place.domains.map((d) => [d.title, levelText(names, d.level), `${d.withLevel} of ${d.criteria}`, `${d.met} of ${d.criteria}`]),
    },
  ]
}

function criteriaSection(input: PlaceReportInput): Block[] {
  const { place, round } = input
  const names = round.framework.levelNames
  return [
    { kind: 'heading', level: 2, text: 'Every criterion' },
    {
      kind: 'paragraph',
      text: 'A criterion meets its threshold when its level reaches the threshold and the place return gives evidence for it. The level used is the ICS lead’s moderated level, else the place’s agreed level, else the median of the partners’ answers rounded down. Gateway criteria must be at least Developing for partial delegation.',
    },
    {
      kind: 'table',
      caption: 'Level, threshold and partners’ spread for every criterion',
      rowHeaders: true,
      columns: [
        { header: 'Criterion', weight: 5.2 },
        { header: 'Level', weight: 2.1 },
        { header: 'Threshold', weight: 1.9 },
        { header: 'Met or not', weight: 2.3 },
        { header: 'Level from', weight: 2 },
        { header: 'Partners’ answers', weight: 2.6 },
      ],
      rows: place.criteria.map((c) => [
        `${criterionName(c.criterion)}${c.result.isGateway ? ' (gateway)' : ''}`,
        levelText(names, c.used.level),
        levelText(names, c.result.threshold),
        { text: c.result.met ? '✓ Met' : `✗ ${unmetText[c.result.unmetReason ?? 'no-level']}`, bold: c.result.met } satisfies TableCell,
        sourceText[c.used.source],
        spreadText(c),
      ]),
    },
  ]
}

const statusText = { submitted: 'Submitted', in_progress: 'Started, not submitted', not_started: 'Not started' } as const

function participationSection(input: PlaceReportInput): Block[] {
  const { place } = input
  const c = place.completion
  return [
    { kind: 'heading', level: 2, text: 'Who took part' },
    {
      kind: 'paragraph',
      text: `${c.submitted} of ${count(c.invited, 'partner organisation')} submitted a self-assessment${c.inProgress > 0 ? `; ${c.inProgress} started but did not submit` : ''}${c.notStarted > 0 ? `; ${c.notStarted} did not start` : ''}. Only submitted answers count towards the partners’ spread.`,
    },
    {
      kind: 'table',
      caption: 'Partner organisations and their self-assessments',
      rowHeaders: true,
      columns: [
        { header: 'Organisation', weight: 5 },
        { header: 'Self-assessment', weight: 2.5 },
        { header: 'Submitted on', weight: 2.5 },
      ],
      rows: input.participants.map((p) => [p.name, statusText[p.status], p.submittedAt ? londonDate(p.submittedAt) : '–']),
    },
  ]
}

function disagreementSection(input: PlaceReportInput): Block[] {
  const { place, round } = input
  const names = round.framework.levelNames
  const split = place.criteria.filter((c) => c.spread.disagreement)
  const unsure = place.criteria.filter((c) => c.spread.notSure > 0)
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Where partners disagreed' }]
  if (split.length === 0) {
    blocks.push({ kind: 'paragraph', text: 'On every criterion the partners’ submitted answers were within one level of each other.' })
  } else {
    blocks.push({
      kind: 'paragraph',
      text: `On ${count(split.length, 'criterion', 'criteria')} partners’ answers were two or more levels apart, so the place’s agreed position matters most there.`,
    })
    const levels = round.framework.document.levels
    blocks.push({
      kind: 'table',
      caption: 'How many partners answered each level, where they were two or more levels apart',
      rowHeaders: true,
      columns: [
        { header: 'Criterion', weight: 4 },
        ...levels.map((l) => ({ header: `${l.value} ${l.name}`, weight: 1.75, align: 'center' as const })),
        { header: 'Not sure', weight: 1.2, align: 'center' as const },
        { header: 'Level used', weight: 2.3 },
      ],
      rows: split.map((c) => [
        criterionName(c.criterion),
        ...levels.map((l) => String(c.spread.counts[l.value] ?? 0)),
        String(c.spread.notSure),
        `${levelText(names, c.used.level)} (${sourceText[c.used.source].toLowerCase()})`,
      ]),
    })
  }
  if (unsure.length > 0) {
    blocks.push({
      kind: 'paragraph',
      style: 'note',
      text: `Some partners answered “Not sure yet” on ${count(unsure.length, 'criterion', 'criteria')}: ${joinAnd(unsure.map((c) => `${c.criterion.code} (${c.spread.notSure})`))}.`,
    })
  }
  return blocks
}

function evidenceSection(input: PlaceReportInput): Block[] {
  const { place, round } = input
  const names = round.framework.levelNames
  const byCriterion = new Map<string, EvidenceExcerpt[]>()
  for (const e of input.evidence) byCriterion.set(e.criterionCode, [...(byCriterion.get(e.criterionCode) ?? []), e])
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: 'Evidence highlights' },
    {
      kind: 'paragraph',
      style: 'note',
      text: 'For each criterion: the place’s agreed evidence, the ICS lead’s moderation note if any, and up to two partners’ evidence, shortened. The full text is in PlaceReady.',
    },
  ]
  for (const c of place.criteria) {
    blocks.push({ kind: 'heading', level: 3, text: `${criterionName(c.criterion)}: ${levelText(names, c.used.level)}` })
    const items: RichText[] = []
    if (c.evidence.agreedSummary?.trim()) items.push([{ text: 'Place: ', bold: true }, { text: shorten(c.evidence.agreedSummary, 420) }])
    if (c.evidence.moderationNote?.trim())
      items.push([{ text: 'ICS moderation: ', bold: true }, { text: shorten(c.evidence.moderationNote, 300) }])
    for (const e of (byCriterion.get(c.criterion.code) ?? []).slice(0, 2)) {
      items.push([{ text: `${e.organisationName} (${levelText(names, e.level)}): `, bold: true }, { text: shorten(e.evidence, 260) }])
    }
    if (items.length === 0) blocks.push({ kind: 'paragraph', text: 'No evidence was given for this criterion.' })
    else blocks.push({ kind: 'list', items })
  }
  return blocks
}

const actionStatusText = { not_started: 'Not started', in_progress: 'In progress', done: 'Done' } as const

function planSection(input: PlaceReportInput): Block[] {
  const { place } = input
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Development plan' }]
  if (place.plan.length === 0) {
    blocks.push({ kind: 'paragraph', text: 'No development actions have been agreed for this round yet.' })
    return blocks
  }
  const overdue = place.plan.filter((a) => a.overdue).length
  const done = place.plan.filter((a) => a.status === 'done').length
  blocks.push({
    kind: 'paragraph',
    text: `${count(place.plan.length, 'action')}, ${done} done${overdue > 0 ? `, ${overdue} overdue` : ''}. Each action was agreed for a criterion that did not meet its threshold when it was raised; open actions carry over to later rounds.`,
  })
  blocks.push({
    kind: 'table',
    caption: 'Development actions, by due date',
    columns: [
      { header: 'Criterion', weight: 1.3 },
      { header: 'Action', weight: 6 },
      { header: 'Owner', weight: 3 },
      { header: 'Due', weight: 2.2 },
      { header: 'Status', weight: 2 },
    ],
    rows: place.plan.map((a) => [
      a.criterionCode,
      `${shorten(a.description, 600)}${a.carriedOver ? ` (carried over from ${a.roundTitle})` : ''}`,
      a.ownerName ?? 'Not assigned',
      calendarDate(a.dueDate),
      { text: `${actionStatusText[a.status]}${a.overdue ? ', overdue' : ''}`, bold: a.overdue },
    ]),
  })
  return blocks
}

function comparisonSection(input: PlaceReportInput): Block[] {
  const { place, round, previous } = input
  if (!previous) {
    return [
      { kind: 'heading', level: 2, text: 'Since the previous round' },
      {
        kind: 'paragraph',
        text: `${place.place.name} did not take part in an earlier round of this ICS, so there is nothing to compare yet.`,
      },
    ]
  }
  const names = round.framework.levelNames
  const before = new Map(previous.place.criteria.map((c) => [c.criterion.code, c.used.level]))
  const beforeDomains = new Map(previous.place.domains.map((d) => [d.code, d.level]))
  const outcomes = round.framework.outcomeNames
  const change = (then: number | null, now: number | null) =>
    then === null || now === null ? '–' : now > then ? `↑ Up ${now - then}` : now < then ? `↓ Down ${then - now}` : 'Same'
  const rose = place.criteria.filter(
    (c) => (before.get(c.criterion.code) ?? null) !== null && c.used.level !== null && c.used.level > before.get(c.criterion.code)!,
  ).length
  const fell = place.criteria.filter(
    (c) => (before.get(c.criterion.code) ?? null) !== null && c.used.level !== null && c.used.level < before.get(c.criterion.code)!,
  ).length
  const prevTitle = previous.round.round.title
  return [
    { kind: 'heading', level: 2, text: 'Since the previous round' },
    {
      kind: 'paragraph',
      text: `In ${prevTitle} the recommendation was ${outcomeText(outcomes, previous.place.readiness.level)} with ${previous.place.readiness.metCount} of ${previous.place.readiness.total} thresholds met; it is now ${outcomeText(outcomes, place.readiness.level)} with ${place.readiness.metCount} met. Since then ${count(rose, 'criterion', 'criteria')} rose and ${fell} fell.`,
    },
    {
      kind: 'figure',
      caption: `Median level in each domain: the ring is ${prevTitle}, the dot ${round.round.title}.`,
      alt: `Chart comparing ${place.place.name}’s median domain levels between ${prevTitle} and ${round.round.title}: ${place.domains
        .map((d) => `${d.title} from ${levelText(names, beforeDomains.get(d.code) ?? null)} to ${levelText(names, d.level)}`)
        .join('; ')}.`,
      chart: {
        type: 'change',
        scale: { min: 0, max: round.framework.document.levels.length, ticks: levelTicks(round) },
        beforeLabel: prevTitle,
        afterLabel: round.round.title,
        rows: place.domains.map((d) => ({ label: d.title, before: beforeDomains.get(d.code) ?? null, after: d.level })),
      },
    },
    {
      kind: 'table',
      caption: `Each domain’s median level, before (${prevTitle}) and now`,
      rowHeaders: true,
      columns: [
        { header: 'Domain', weight: 5 },
        { header: 'Before', weight: 2 },
        { header: 'Now', weight: 2 },
        { header: 'Change', weight: 1.6 },
      ],
      rows: place.domains.map((d) => {
        const then = beforeDomains.get(d.code) ?? null
        return [d.title, levelText(names, then), levelText(names, d.level), change(then, d.level)]
      }),
    },
    {
      kind: 'table',
      caption: `Each criterion’s level, before (${prevTitle}) and now`,
      rowHeaders: true,
      columns: [
        { header: 'Criterion', weight: 5 },
        { header: 'Before', weight: 2 },
        { header: 'Now', weight: 2 },
        { header: 'Change', weight: 1.6 },
      ],
      rows: place.criteria.map((c) => {
        const then = before.get(c.criterion.code) ?? null
        return [criterionName(c.criterion), levelText(names, then), levelText(names, c.used.level), change(then, c.used.level)]
      }),
    },
  ]
}

export function placeReport(input: PlaceReportInput): ReportDocument {
  const draft = input.publication.publishedAt === null
  const title = `${input.place.place.name}: place readiness report, ${input.round.round.title}`
  return {
    title,
    subject: `Delegation readiness of ${input.place.place.name} in ${input.icsName}: recommendation, decision, criteria, evidence and development plan.`,
    author: input.icsName,
    keywords: ['place readiness', 'delegation', input.place.place.name, input.round.round.title],
    header: `${input.place.place.name} place readiness report · ${input.round.round.title}`,
    marking: input.marking,
    generatedAt: input.generatedAt,
    draft,
    blocks: [
      ...cover(input, draft),
      ...summary(input),
      ...domainSection(input),
      ...criteriaSection(input),
      ...participationSection(input),
      ...disagreementSection(input),
      ...evidenceSection(input),
      ...planSection(input),
      ...comparisonSection(input),
    ],
  }
}
