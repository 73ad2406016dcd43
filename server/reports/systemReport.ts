import type { Publication } from '../data/reports'
import type { PlaceResults, RoundResults } from '../results'
import type { Block, ReportDocument, TableCell } from './model'
import { commonThreshold, levelTicks } from './figures'
import { levelFills } from './theme'
import { calendarDate, count, joinAnd, levelText, londonDate, outcomeText } from './wording'

/**
 * The system report for an ICS board: every place side by side. Readiness and decisions, a
 * heatmap of places by criteria (shaded and labelled), each domain compared across places, and
 * the trend since the previous round. Pure: it arranges the results read model's figures.
 */

export interface SystemReportInput {
  icsName: string
  round: RoundResults
  /** The ICS's previous round, when there is one. */
  previous?: RoundResults | undefined
  publication: Publication
  marking: string
  generatedAt: Date
}

function tally(places: PlaceResults[], level: (p: PlaceResults) => number | undefined): Record<1 | 2 | 3, number> {
  const result = { 1: 0, 2: 0, 3: 0 }
  for (const p of places) {
    const l = level(p)
    if (l === 1 || l === 2 || l === 3) result[l]++
  }
  return result
}

function cover(input: SystemReportInput, draft: boolean): Block[] {
  const { round, publication } = input
  const names = round.framework.outcomeNames
  const recommended = tally(round.places, (p) => p.readiness.level)
  const decided = round.places.filter((p) => p.decision).length
  const returns = round.places.filter((p) => p.placeReturn?.status === 'submitted').length
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: `${input.icsName}: system readiness report` },
    { kind: 'paragraph', style: 'lead', text: `${round.round.title}. Every place side by side.` },
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
  blocks.push({
    kind: 'table',
    caption: 'At a glance',
    rowHeaders: true,
    columns: [
      { header: 'Item', weight: 2 },
      { header: 'Detail', weight: 3 },
    ],
    rows: [
      ['Integrated care system', input.icsName],
      ['Assessment round', round.round.title],
      ['Deadline', londonDate(round.round.deadline)],
      ['Framework', `${round.framework.title} (${round.framework.versionLabel})`],
      ['Places taking part', String(round.places.length)],
      ['Place returns submitted', `${returns} of ${round.places.length}`],
      ...([3, 2, 1] as const).map((l): [string, string] => [`Recommended: ${outcomeText(names, l)}`, count(recommended[l], 'place')]),
      ['Delegation decisions recorded', `${decided} of ${round.places.length}`],
      ['Results', publication.publishedAt ? `Published on ${londonDate(publication.publishedAt)}` : 'Draft: not yet published'],
      ['Report produced', londonDate(input.generatedAt)],
    ],
  })
  return blocks
}

function summary(input: SystemReportInput): Block[] {
  const { round } = input
  const names = round.framework.outcomeNames
  const places = round.places
  const recommended = tally(places, (p) => p.readiness.level)
  const differing = places.filter((p) => p.decision && p.decision.decidedLevel !== p.decision.recommendedLevel)
  const unmetCounts = round.framework.criteria
    .map((c) => ({ c, places: places.filter((p) => p.criteria.find((x) => x.criterion.code === c.code)?.result.met === false).length }))
    .filter((x) => x.places > 0)
    .sort((a, b) => b.places - a.places)
    .slice(0, 3)
  const blocked = places.filter((p) => p.readiness.blockingGateways.length > 0)
  const items: string[] = [
    `${count(recommended[3], 'place')} ${recommended[3] === 1 ? 'is' : 'are'} recommended for ${outcomeText(names, 3)}, ${recommended[2]} for ${outcomeText(names, 2)} and ${recommended[1]} for ${outcomeText(names, 1)}.`,
  ]
  const decided = places.filter((p) => p.decision).length
  items.push(
    decided === places.length
      ? `Every place has a recorded delegation decision${differing.length > 0 ? `; ${count(differing.length, 'decision')} ${differing.length === 1 ? 'differs' : 'differ'} from the recommendation (${joinAnd(differing.map((p) => p.place.name))})` : ', each following the recommendation'}.`
      : `${decided} of ${count(places.length, 'place')} have a recorded delegation decision${differing.length > 0 ? `; ${count(differing.length, 'decision')} ${differing.length === 1 ? 'differs' : 'differ'} from the recommendation (${joinAnd(differing.map((p) => p.place.name))})` : ''}.`,
  )
  if (unmetCounts.length > 0) {
    items.push(
      `The thresholds most often not met: ${joinAnd(unmetCounts.map((x) => `${x.c.code} ${x.c.title} (${count(x.places, 'place')})`))}.`,
    )
  }
  if (blocked.length > 0) {
    items.push(
      `Gateway criteria below the minimum hold back ${count(blocked.length, 'place')}: ${joinAnd(blocked.map((p) => `${p.place.name} (${p.readiness.blockingGateways.join(', ')})`))}.`,
    )
  }
  return [
    { kind: 'heading', level: 2, text: 'Summary' },
    { kind: 'list', items },
  ]
}

function readinessSection(input: SystemReportInput): Block[] {
  const { round } = input
  const names = round.framework.outcomeNames
  return [
    { kind: 'pageBreak' },
    { kind: 'heading', level: 2, text: 'Readiness of every place' },
    {
      kind: 'table',
      caption: 'Recommendation and decision for each place',
      rowHeaders: true,
      columns: [
        { header: 'Place', weight: 3 },
        { header: 'Recommended', weight: 3 },
        { header: 'Decision', weight: 3.4 },
        { header: 'Thresholds met', weight: 1.8 },
        { header: 'Gateways below minimum', weight: 2.2 },
        { header: 'Place return', weight: 1.9 },
      ],
      rows: round.places.map((p) => [
        p.place.name,
        outcomeText(names, p.readiness.level),
        p.decision
          ? `${outcomeText(names, p.decision.decidedLevel as 1 | 2 | 3)}, ${calendarDate(p.decision.decidedOn)}${p.decision.decidedLevel !== p.decision.recommendedLevel ? ' (differs)' : ''}`
          : 'Not yet decided',
        `${p.readiness.metCount} of ${p.readiness.total}`,
        p.readiness.blockingGateways.join(', ') || 'None',
        p.placeReturn?.status === 'submitted' ? 'Submitted' : p.placeReturn ? 'Draft' : 'Not started',
      ]),
    },
  ]
}

function heatmapSection(input: SystemReportInput): Block[] {
  const { round } = input
  const names = round.framework.levelNames
  const criteria = round.framework.criteria
  const cell = (p: PlaceResults, code: string): TableCell => {
    const c = p.criteria.find((x) => x.criterion.code === code)
    const level = c?.used.level ?? null
    if (level === null) return { text: '–' }
    return { text: `${level}${c?.result.met ? ' ✓' : ''}`, fill: levelFills[level], bold: c?.result.met === true }
  }
  return [
    { kind: 'heading', level: 2, text: 'Heatmap: places by criteria' },
    {
      kind: 'paragraph',
      text: `Each cell is the level used for a criterion: ${round.framework.document.levels.map((l) => `${l.value} ${l.name}`).join(', ')}; darker shading is a higher level. ✓ marks a threshold met (the level reached, with evidence); – means no level yet. The criterion codes are listed after the heatmap.`,
    },
    {
      kind: 'table',
      compact: true,
      rowHeaders: true,
      caption: 'Level of each criterion in each place (✓ threshold met)',
      columns: [{ header: 'Place', weight: 5.2 }, ...criteria.map((c) => ({ header: c.code, weight: 1.45, align: 'center' as const }))],
      rows: round.places.map((p) => [p.place.name, ...criteria.map((c) => cell(p, c.code))]),
    },
    {
      kind: 'table',
      compact: true,
      rowHeaders: true,
      caption: 'Criterion codes, thresholds and the median across places',
      columns: [
        { header: 'Code', weight: 1 },
        { header: 'Criterion', weight: 8 },
        { header: 'Threshold', weight: 1.8 },
        { header: 'Median across places', weight: 2.2 },
      ],
      rows: criteria.map((c) => [
        c.code,
        `${c.title}${c.isGateway ? ' (gateway)' : ''}`,
        levelText(names, c.threshold),
        levelText(names, round.comparison.criteria[c.code] ?? null),
      ]),
    },
  ]
}

function domainSection(input: SystemReportInput): Block[] {
  const { round } = input
  const names = round.framework.levelNames
  const threshold = commonThreshold(round)
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: 'Domains compared' },
    {
      kind: 'paragraph',
      text: 'For each domain, every place’s median level across the domain’s criteria (rounded down). The table after the charts gives the same figures.',
    },
  ]
  round.framework.domains.forEach((domain) => {
    const levels = round.places.map((p) => ({ place: p.place.name, domain: p.domains.find((d) => d.code === domain.code) }))
    blocks.push({ kind: 'heading', level: 3, text: domain.title })
    blocks.push({
      kind: 'figure',
      caption: `${domain.title}: median level by place. The median across places is ${levelText(names, round.comparison.domains[domain.code] ?? null)}.`,
      alt: `Bar chart of ${domain.title}: median level by place. ${levels.map((l) => `${l.place} ${levelText(names, l.domain?.level ?? null)}`).join('; ')}.`,
      chart: {
        type: 'bars',
        scale: { min: 0, max: round.framework.document.levels.length, ticks: levelTicks(round) },
        ...(threshold === null ? {} : { threshold: { value: threshold, label: `Threshold: ${names[threshold] ?? threshold}` } }),
        bars: levels.map((l) => ({
          label: l.place,
          value: l.domain?.level ?? null,
          valueLabel: levelText(names, l.domain?.level ?? null),
        })),
      },
    })
  })
  blocks.push({
    kind: 'table',
    rowHeaders: true,
    caption: 'Median level of each domain, and thresholds met, by place',
    columns: [{ header: 'Place', weight: 3 }, ...round.framework.domains.map((d) => ({ header: d.title, weight: 2.4 }))],
    rows: [
      ...round.places.map((p) => [
        p.place.name,
        ...round.framework.domains.map((d) => {
          const r = p.domains.find((x) => x.code === d.code)
          return r ? `${levelText(names, r.level)}\n${r.met} of ${r.criteria} met` : '–'
        }),
      ]),
      ['ICS median', ...round.framework.domains.map((d) => levelText(names, round.comparison.domains[d.code] ?? null))],
    ],
  })
  return blocks
}

function trendSection(input: SystemReportInput): Block[] {
  const { round, previous } = input
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Trend since the previous round' }]
  if (!previous) {
    blocks.push({ kind: 'paragraph', text: 'This is the ICS’s first round, so there is no trend yet.' })
    return blocks
  }
  const names = round.framework.outcomeNames
  const before = new Map(previous.places.map((p) => [p.place.id, p]))
  const rows = round.places.map((p) => ({ p, then: before.get(p.place.id) }))
  const up = rows.filter((r) => r.then && r.p.readiness.level > r.then.readiness.level).length
  const down = rows.filter((r) => r.then && r.p.readiness.level < r.then.readiness.level).length
  const total = round.framework.criteria.length
  blocks.push(
    {
      kind: 'paragraph',
      text: `Compared with ${previous.round.title}: ${count(up, 'place')} moved up a readiness level, ${down} moved down and ${rows.filter((r) => r.then).length - up - down} stayed the same.`,
    },
    {
      kind: 'figure',
      caption: `Thresholds met by each place: the ring is ${previous.round.title}, the dot ${round.round.title}.`,
      alt: `Chart of the number of thresholds met (of ${total}) by each place, before and now: ${rows
        .map((r) => `${r.p.place.name} from ${r.then ? r.then.readiness.metCount : 'not taking part'} to ${r.p.readiness.metCount}`)
        .join('; ')}.`,
      chart: {
        type: 'change',
        scale: {
          min: 0,
          max: total,
          ticks: Array.from({ length: 5 }, (_, i) => Math.round((total * i) / 4)).map((v) => ({ value: v, label: String(v) })),
        },
        beforeLabel: previous.round.title,
        afterLabel: round.round.title,
        rows: rows.map((r) => ({
          label: r.p.place.name,
          before: r.then ? r.then.readiness.metCount : null,
          after: r.p.readiness.metCount,
        })),
      },
    },
    {
      kind: 'table',
      rowHeaders: true,
      caption: 'Recommendation and thresholds met, before and now',
      columns: [
        { header: 'Place', weight: 3 },
        { header: 'Before', weight: 3.2 },
        { header: 'Now', weight: 3.2 },
        { header: 'Thresholds met', weight: 2 },
        { header: 'Change', weight: 1.8 },
      ],
      rows: rows.map(({ p, then }) => [
        p.place.name,
        then ? outcomeText(names, then.readiness.level) : 'Did not take part',
        outcomeText(names, p.readiness.level),
        then ? `${then.readiness.metCount} → ${p.readiness.metCount}` : String(p.readiness.metCount),
        !then ? '–' : p.readiness.level > then.readiness.level ? '↑ Up' : p.readiness.level < then.readiness.level ? '↓ Down' : 'Same',
      ]),
    },
  )
  return blocks
}

export function systemReport(input: SystemReportInput): ReportDocument {
  const draft = input.publication.publishedAt === null
  return {
    title: `${input.icsName}: system readiness report, ${input.round.round.title}`,
    subject: `Delegation readiness of every place in ${input.icsName}: recommendations, decisions, a heatmap of criteria, domains compared and the trend since the previous round.`,
    author: input.icsName,
    keywords: ['system readiness', 'delegation', 'place-based partnerships', input.round.round.title],
    header: `${input.icsName} system readiness report · ${input.round.round.title}`,
    marking: input.marking,
    generatedAt: input.generatedAt,
    draft,
    blocks: [
      ...cover(input, draft),
      ...summary(input),
      ...readinessSection(input),
      ...heatmapSection(input),
      ...domainSection(input),
      ...trendSection(input),
    ],
  }
}
