/**
 * The dashboard as data: from the read model's results of a round (and the rounds before it),
 * the summary, the heatmap, every chart with its table of the same figures, and the tables the
 * downloads write. Pure: no SQL and no readiness rules of its own (levels, sources, thresholds,
 * gateways, recommendations and medians all come from server/results), so the page, the CSV and
 * the workbook are the same figures by construction.
 *
 * Scope is decided by the caller: an ICS-wide view names every place; a place view holds only the
 * places in scope, compared with the ICS medians, and nothing from which another place could be
 * named or its figures worked out (no counts of places by level, no other place's row).
 */
import { medianOf } from '../results/assemble'
import type { PlaceResults, RoundResults } from '../results'
import type { LevelSource } from '../readiness/engine'
import { formatMonthYear } from '../time/london'
import { heatClass, seriesColours } from './palette'
import { isFiltered, queryOf, type DashboardFilters, type SortKey } from './filters'

export type DashboardScope = { kind: 'ics'; name: string } | { kind: 'place'; name: string; placeIds: number[] }

export interface DashboardInput {
  /** The round shown, with every taking-part place (the ICS medians are over all of them). */
  current: RoundResults
  /** Every round of the ICS up to and including the current one, oldest first, every place. */
  history: RoundResults[]
  scope: DashboardScope
  filters: DashboardFilters
  /** Whole London days from today to the deadline (0 on the day, and after it). */
  daysLeft: number
}

export type TableCell = string | number | null

/** A table of figures: shown on the page, and written as it is to the CSV and the workbook. */
export interface DataTable {
  /** The sheet's name in the workbook. */
  name: string
  caption: string
  headers: string[]
  rows: TableCell[][]
}

export interface ChartSeries {
  label: string
  data: Array<number | null>
  colour: string
  dashed?: boolean
}

export interface ChartSpec {
  id: string
  type: 'bar' | 'radar' | 'line'
  title: string
  /** What the chart shows, for its accessible name and the text above it. */
  description: string
  labels: string[]
  datasets: ChartSeries[]
  scale: { min: number; max: number; step: number; names?: Record<number, string>; title?: string }
  stacked?: boolean
  horizontal?: boolean
  /** The same figures as a table: the first column the labels, then one column per series. */
  table: DataTable
}

export interface HeatCell {
  code: string
  level: number | null
  levelName: string
  cssClass: string
  source: LevelSource
  met: boolean
  disagreement: boolean
  /** A gateway criterion below the gateway minimum: it blocks partial delegation. */
  blocked: boolean
  /** The marks shown after the level: source, threshold met, disagreement, gateway. */
  marks: string
  /** The whole cell in words, for screen readers (the row and column headers name place and criterion). */
  description: string
  href: string | null
}

export interface HeatRow {
  placeId: number
  name: string
  href: string
  recommended: { level: number; outcome: string }
  decided: { level: number; outcome: string } | null
  cells: HeatCell[]
}

export interface HeatDomain {
  code: string
  title: string
  criteria: Array<{ code: string; title: string; isGateway: boolean }>
  sortHref: string
}

export interface DashboardSummary {
  kind: 'ics' | 'place'
  places: number
  /** ICS-wide only: places at each readiness level, recommended and decided. */
  readiness: Array<{ level: number; outcome: string; recommended: number; decided: number }>
  undecided: number
  /** Place view only: the place's recommendation, decision and return. */
  place: {
    name: string
    recommended: { level: number; outcome: string }
    decided: { level: number; outcome: string } | null
    returnStatus: string
  } | null
  returns: { received: number; expected: number }
  partners: { submitted: number; inProgress: number; invited: number }
  deadline: Date
  state: 'upcoming' | 'open' | 'closed'
  daysLeft: number
  table: DataTable
}

export interface DashboardView {
  round: { id: number; title: string; label: string }
  scope: DashboardScope
  filters: DashboardFilters
  filtered: boolean
  options: {
    domains: Array<{ code: string; title: string }>
    readiness: Array<{ level: number; outcome: string }>
    places: Array<{ id: number; name: string }>
  }
  levels: Array<{ level: number; name: string; cssClass: string }>
  gatewayMinimum: string
  summary: DashboardSummary
  heatmap: {
    domains: HeatDomain[]
    rows: HeatRow[]
    median: HeatCell[]
    medianOver: number
    sort: SortKey
    sortHrefs: { place: string; readiness: string }
    table: DataTable
  }
  charts: ChartSpec[]
  /** Every table of the page, in page order: the workbook's sheets. */
  tables: DataTable[]
  queryString: string
}

export const sourceNames: Record<LevelSource, string> = {
  moderation: 'moderated by the ICS',
  place: 'agreed by the place',
  partners: 'partners’ median (rounded down)',
  none: 'no level yet',
}

export const sourceMarks: Record<LevelSource, string> = { moderation: 'M', place: 'A', partners: 'P', none: '' }

export const returnStatusNames = { none: 'Not started', draft: 'In progress', submitted: 'Submitted' } as const

/** A round as a chart label: the month its answers closed, which is how people name rounds. */
export function roundLabel(round: { closesAt: Date }): string {
  return formatMonthYear(round.closesAt)
}

function chartTable(name: string, caption: string, firstHeader: string, labels: string[], datasets: ChartSeries[]): DataTable {
  return {
    name,
    caption,
    headers: [firstHeader, ...datasets.map((d) => d.label)],
    rows: labels.map((label, i) => [label, ...datasets.map((d) => d.data[i] ?? null)]),
  }
}

function sortRows(rows: PlaceResults[], sort: SortKey): PlaceResults[] {
  const byName = (a: PlaceResults, b: PlaceResults) => a.place.name.localeCompare(b.place.name, 'en-GB')
  if (sort === 'readiness') {
    return [...rows].sort((a, b) => a.readiness.level - b.readiness.level || byName(a, b))
  }
  if (sort.startsWith('domain:')) {
    const code = sort.slice(7)
    const level = (p: PlaceResults) => p.domains.find((d) => d.code === code)?.level ?? 0
    return [...rows].sort((a, b) => level(a) - level(b) || byName(a, b))
  }
  return [...rows].sort(byName)
}

export function buildDashboard(input: DashboardInput, basePath: string): DashboardView {
  const { current, scope, filters } = input
  const framework = current.framework
  const levelNames = framework.levelNames
  const outcomeNames = framework.outcomeNames
  const levelCount = framework.document.levels.length
  const levelValues = framework.document.levels.map((l) => l.value)
  const levelName = (level: number | null) => (level === null ? 'No level' : (levelNames[level] ?? String(level)))
  const gatewayMinimum = levelName(framework.document.readiness.gatewayMinimumLevel)
  const roundPath = `/rounds/${current.round.id}`

  const inScope = (p: PlaceResults) => scope.kind === 'ics' || scope.placeIds.includes(p.place.id)
  const scoped = current.places.filter(inScope)
  const shownPlaces = sortRows(
    scoped.filter(
      (p) =>
        (filters.places.length === 0 || filters.places.includes(p.place.id)) &&
        (filters.readiness.length === 0 || filters.readiness.includes(p.readiness.level)),
    ),
    filters.sort,
  )
  const shownIds = new Set(shownPlaces.map((p) => p.place.id))
  const domains = framework.domains.filter((d) => filters.domain === null || d.code === filters.domain)
  const criteria = framework.criteria.filter((c) => domains.some((d) => d.code === c.domainCode))
  const outcome = (level: number) => ({ level, outcome: outcomeNames[level as 1 | 2 | 3] ?? `Level ${level}` })
  const decidedOf = (p: PlaceResults) => (p.decision ? outcome(p.decision.decidedLevel) : null)

  // Summary: the whole round in scope, whatever the filters (they narrow the heatmap and charts).
  const partners = scoped.reduce(
    (sum, p) => ({
      submitted: sum.submitted + p.completion.submitted,
      inProgress: sum.inProgress + p.completion.inProgress,
      invited: sum.invited + p.completion.invited,
    }),
    { submitted: 0, inProgress: 0, invited: 0 },
  )
  const returns = { received: scoped.filter((p) => p.placeReturn?.status === 'submitted').length, expected: scoped.length }
  const readinessLevels = ([3, 2, 1] as const).map((level) => ({
    level,
    outcome: outcomeNames[level],
    recommended: current.comparison.recommended[level],
    decided: current.comparison.decided[level],
  }))
  const onlyPlace = scope.kind === 'place' ? scoped[0] : undefined
  const summaryRows: TableCell[][] =
    scope.kind === 'ics'
      ? [
          ...readinessLevels.map((r): TableCell[] => [`Places recommended for Level ${r.level} – ${r.outcome}`, r.recommended]),
          ...readinessLevels.map((r): TableCell[] => [`Places decided at Level ${r.level} – ${r.outcome}`, r.decided]),
          ['Places with no decision yet', scoped.length - readinessLevels.reduce((n, r) => n + r.decided, 0)],
        ]
      : scoped.flatMap((p): TableCell[][] => [
          [`${p.place.name}: recommended readiness`, `Level ${p.readiness.level} – ${p.readiness.outcome}`],
          [
            `${p.place.name}: decision`,
            p.decision ? `Level ${p.decision.decidedLevel} – ${outcome(p.decision.decidedLevel).outcome}` : 'Not decided yet',
          ],
          [`${p.place.name}: place return`, returnStatusNames[p.placeReturn?.status ?? 'none']],
        ])
  summaryRows.push(
    ['Place returns received', returns.received],
    ['Place returns expected', returns.expected],
    ['Partner organisations submitted', partners.submitted],
    ['Partner organisations in progress', partners.inProgress],
    ['Partner organisations invited', partners.invited],
    ['Days to the deadline', input.daysLeft],
  )
  const summary: DashboardSummary = {
    kind: scope.kind,
    places: scoped.length,
    readiness: scope.kind === 'ics' ? readinessLevels : [],
    undecided: scope.kind === 'ics' ? scoped.length - readinessLevels.reduce((n, r) => n + r.decided, 0) : 0,
    place: onlyPlace
      ? {
          name: onlyPlace.place.name,
          recommended: outcome(onlyPlace.readiness.level),
          decided: decidedOf(onlyPlace),
          returnStatus: returnStatusNames[onlyPlace.placeReturn?.status ?? 'none'],
        }
      : null,
    returns,
    partners,
    deadline: current.round.deadline,
    state: current.round.state,
    daysLeft: input.daysLeft,
    table: { name: 'Summary', caption: 'Summary of the round', headers: ['Measure', 'Value'], rows: summaryRows },
  }

  // The heatmap.
  const cellOf = (p: PlaceResults, code: string): HeatCell => {
    const c = p.criteria.find((x) => x.criterion.code === code)!
    const level = c.used.level
    const marks = [
      sourceMarks[c.used.source],
      c.result.met ? '✓' : '',
      c.spread.disagreement ? '!' : '',
      c.result.blocksPartial ? 'G' : '',
    ].filter(Boolean)
    const words = [
      level === null ? 'No level' : `${level} ${levelName(level)}`,
      c.used.source === 'none' ? '' : sourceNames[c.used.source],
      c.result.met ? 'threshold met' : 'threshold not met',
      c.spread.disagreement ? 'partners disagree by two levels or more' : '',
      c.result.blocksPartial ? `gateway below ${gatewayMinimum}` : '',
    ].filter(Boolean)
    return {
      code,
      level,
      levelName: levelName(level),
      cssClass: heatClass(level, levelCount) + (c.result.blocksPartial ? ' placeready-heat--blocked' : ''),
      source: c.used.source,
      met: c.result.met,
      disagreement: c.spread.disagreement,
      blocked: c.result.blocksPartial,
      marks: marks.join(' '),
      description: words.join(', '),
      href: `${roundPath}/places/${p.place.id}/criteria/${encodeURIComponent(code)}`,
    }
  }
  const medianCell = (code: string): HeatCell => {
    const level = current.comparison.criteria[code] ?? null
    return {
      code,
      level,
      levelName: levelName(level),
      cssClass: `${heatClass(level, levelCount)} placeready-heat--median`,
      source: 'none',
      met: false,
      disagreement: false,
      blocked: false,
      marks: '',
      description: level === null ? 'No level' : `ICS median ${level} ${levelName(level)}`,
      href: null,
    }
  }
  const rows: HeatRow[] = shownPlaces.map((p) => ({
    placeId: p.place.id,
    name: p.place.name,
    href: `${roundPath}/places/${p.place.id}`,
    recommended: outcome(p.readiness.level),
    decided: decidedOf(p),
    cells: criteria.map((c) => cellOf(p, c.code)),
  }))
  const median = criteria.map((c) => medianCell(c.code))
  const heatDomains: HeatDomain[] = domains.map((d) => ({
    code: d.code,
    title: d.title,
    criteria: criteria.filter((c) => c.domainCode === d.code).map((c) => ({ code: c.code, title: c.title, isGateway: c.isGateway })),
    sortHref: `${basePath}${queryOf(filters, { sort: `domain:${d.code}` })}`,
  }))
  const criterionTitle = new Map(framework.criteria.map((c) => [c.code, c.title]))
  const domainTitle = new Map(framework.domains.map((d) => [d.code, d.title]))
  const domainOf = new Map(framework.criteria.map((c) => [c.code, c.domainCode]))
  const heatTable: DataTable = {
    name: 'Heatmap',
    caption: 'Level of each criterion for each place, and the ICS median',
    headers: [
      'Place',
      'Recommended readiness',
      'Decision',
      'Domain',
      'Criterion code',
      'Criterion',
      'Level',
      'Level name',
      'Where the level came from',
      'Threshold met',
      'Partners disagree',
      `Gateway below ${gatewayMinimum}`,
    ],
    rows: [
      ...rows.flatMap((row) =>
        row.cells.map((cell): TableCell[] => [
          row.name,
          `Level ${row.recommended.level} – ${row.recommended.outcome}`,
          row.decided ? `Level ${row.decided.level} – ${row.decided.outcome}` : 'Not decided yet',
          domainTitle.get(domainOf.get(cell.code)!) ?? '',
          cell.code,
          criterionTitle.get(cell.code) ?? '',
          cell.level,
          cell.levelName,
          sourceNames[cell.source],
          cell.met ? 'Yes' : 'No',
          cell.disagreement ? 'Yes' : 'No',
          cell.blocked ? 'Yes' : 'No',
        ]),
      ),
      ...median.map((cell): TableCell[] => [
        'ICS median',
        null,
        null,
        domainTitle.get(domainOf.get(cell.code)!) ?? '',
        cell.code,
        criterionTitle.get(cell.code) ?? '',
        cell.level,
        cell.levelName,
        null,
        null,
        null,
        null,
      ]),
    ],
  }

  // Charts: each with its table of the very same figures.
  const levelScale = {
    min: 0,
    max: levelCount,
    step: 1,
    names: Object.fromEntries(levelValues.map((v) => [v, levelName(v)])),
    title: 'Level',
  }
  // A place's view says only "ICS median": even the number of places behind it is not theirs to see.
  const medianLabel =
    scope.kind === 'ics'
      ? `ICS median (${current.comparison.places} ${current.comparison.places === 1 ? 'place' : 'places'})`
      : 'ICS median'
  const charts: ChartSpec[] = []

  if (shownPlaces.length > 0) {
    const labels = [...shownPlaces.map((p) => p.place.name), medianLabel]
    const datasets = domains.map((d, i) => ({
      label: d.title,
      colour: seriesColours[i % seriesColours.length]!,
      data: [
        ...shownPlaces.map((p) => p.domains.find((x) => x.code === d.code)?.level ?? null),
        current.comparison.domains[d.code] ?? null,
      ],
    }))
    charts.push({
      id: 'domain-levels',
      type: 'bar',
      title: 'Domain levels by place',
      description: 'The level of each domain (the median of its criteria’s levels) for each place shown, and the ICS median.',
      labels,
      datasets,
      scale: levelScale,
      table: chartTable('Domain levels', 'Domain levels by place', 'Place', labels, datasets),
    })

    const compared = shownPlaces.find((p) => p.place.id === filters.compare) ?? shownPlaces[0]!
    const radarLabels = criteria.map((c) => c.code)
    const radarSets: ChartSeries[] = [
      {
        label: compared.place.name,
        colour: seriesColours[0]!,
        data: criteria.map((c) => compared.criteria.find((x) => x.criterion.code === c.code)?.used.level ?? null),
      },
      {
        label: 'ICS median',
        colour: seriesColours[3]!,
        dashed: true,
        data: criteria.map((c) => current.comparison.criteria[c.code] ?? null),
      },
    ]
    charts.push({
      id: 'place-against-median',
      type: 'radar',
      title: `${compared.place.name} against the ICS median`,
      description: `The level of each criterion for ${compared.place.name}, and the median of every place in the ICS.`,
      labels: radarLabels,
      datasets: radarSets,
      scale: levelScale,
      table: chartTable('Place against median', `${compared.place.name} against the ICS median`, 'Criterion', radarLabels, radarSets),
    })

    const completionLabels = shownPlaces.map((p) => p.place.name)
    const completionSets: ChartSeries[] = [
      { label: 'Submitted', colour: seriesColours[0]!, data: shownPlaces.map((p) => p.completion.submitted) },
      { label: 'In progress', colour: seriesColours[1]!, data: shownPlaces.map((p) => p.completion.inProgress) },
      { label: 'Not started', colour: seriesColours[4]!, data: shownPlaces.map((p) => p.completion.notStarted) },
    ]
    charts.push({
      id: 'completion',
      type: 'bar',
      title: 'Partner self-assessments by place',
      description: 'How many of each place’s partner organisations have submitted, are in progress and have not started.',
      labels: completionLabels,
      datasets: completionSets,
      scale: { min: 0, max: Math.max(1, ...shownPlaces.map((p) => p.completion.invited)), step: 1, title: 'Partner organisations' },
      stacked: true,
      horizontal: true,
      table: chartTable('Completion', 'Partner self-assessments by place', 'Place', completionLabels, completionSets),
    })
  }

  // Trends: the same places, in every round up to this one.
  const roundLabels = input.history.map((r) => roundLabel(r.round))
  const trendPlaces = (r: RoundResults) => r.places.filter((p) => shownIds.has(p.place.id))
  if (shownPlaces.length > 0 && scope.kind === 'ics') {
    const sets: ChartSeries[] = ([1, 2, 3] as const).map((level, i) => ({
      label: `Level ${level} – ${outcomeNames[level]}`,
      colour: seriesColours[i]!,
      data: input.history.map((r) => trendPlaces(r).filter((p) => p.readiness.level === level).length),
    }))
    charts.push({
      id: 'readiness-trend',
      type: 'bar',
      title: 'Recommended readiness by round',
      description: 'How many of the places shown were recommended at each readiness level in each round.',
      labels: roundLabels,
      datasets: sets,
      scale: { min: 0, max: Math.max(1, shownPlaces.length), step: 1, title: 'Places' },
      stacked: true,
      table: chartTable('Readiness trend', 'Recommended readiness by round', 'Round', roundLabels, sets),
    })
    const domainSets: ChartSeries[] = domains.map((d, i) => ({
      label: d.title,
      colour: seriesColours[i % seriesColours.length]!,
      data: input.history.map((r) => medianOf(trendPlaces(r).map((p) => p.domains.find((x) => x.code === d.code)?.level ?? null))),
    }))
    charts.push({
      id: 'domain-trend',
      type: 'line',
      title: 'Median domain levels by round',
      description: 'The median level of each domain across the places shown, in each round.',
      labels: roundLabels,
      datasets: domainSets,
      scale: levelScale,
      table: chartTable('Domain trend', 'Median domain levels by round', 'Round', roundLabels, domainSets),
    })
  } else if (shownPlaces.length > 0) {
    const place = shownPlaces.find((p) => p.place.id === filters.compare) ?? shownPlaces[0]!
    const at = (r: RoundResults) => r.places.find((p) => p.place.id === place.place.id)
    const sets: ChartSeries[] = [
      { label: 'Recommended', colour: seriesColours[0]!, data: input.history.map((r) => at(r)?.readiness.level ?? null) },
      { label: 'Decided', colour: seriesColours[3]!, dashed: true, data: input.history.map((r) => at(r)?.decision?.decidedLevel ?? null) },
    ]
    charts.push({
      id: 'readiness-trend',
      type: 'line',
      title: `${place.place.name}: readiness by round`,
      description: `The readiness level recommended for ${place.place.name}, and the level decided, in each round.`,
      labels: roundLabels,
      datasets: sets,
      scale: { min: 0, max: 3, step: 1, names: { 1: outcomeNames[1], 2: outcomeNames[2], 3: outcomeNames[3] }, title: 'Readiness level' },
      table: chartTable('Readiness trend', `${place.place.name}: readiness by round`, 'Round', roundLabels, sets),
    })
    const domainSets: ChartSeries[] = domains.map((d, i) => ({
      label: d.title,
      colour: seriesColours[i % seriesColours.length]!,
      data: input.history.map((r) => at(r)?.domains.find((x) => x.code === d.code)?.level ?? null),
    }))
    charts.push({
      id: 'domain-trend',
      type: 'line',
      title: `${place.place.name}: domain levels by round`,
      description: `The level of each domain for ${place.place.name} in each round.`,
      labels: roundLabels,
      datasets: domainSets,
      scale: levelScale,
      table: chartTable('Domain trend', `${place.place.name}: domain levels by round`, 'Round', roundLabels, domainSets),
    })
  }

  return {
    round: { id: current.round.id, title: current.round.title, label: roundLabel(current.round) },
    scope,
    filters,
    filtered: isFiltered(filters),
    options: {
      domains: framework.domains.map((d) => ({ code: d.code, title: d.title })),
      readiness: ([1, 2, 3] as const).map((level) => ({ level, outcome: outcomeNames[level] })),
      places: scoped.map((p) => ({ id: p.place.id, name: p.place.name })),
    },
    levels: levelValues.map((v) => ({ level: v, name: levelName(v), cssClass: heatClass(v, levelCount) })),
    gatewayMinimum,
    summary,
    heatmap: {
      domains: heatDomains,
      rows,
      median,
      medianOver: current.comparison.places,
      sort: filters.sort,
      sortHrefs: {
        place: `${basePath}${queryOf(filters, { sort: 'place' })}`,
        readiness: `${basePath}${queryOf(filters, { sort: 'readiness' })}`,
      },
      table: heatTable,
    },
    charts,
    tables: [summary.table, heatTable, ...charts.map((c) => c.table)],
    queryString: queryOf(filters),
  }
}

/** Chart data as it travels to the browser: JSON that cannot end its <script> block early. */
export function chartJson(charts: ChartSpec[]): string {
  const forBrowser = charts.map(({ table: _table, ...chart }) => chart)
  return JSON.stringify(forBrowser).replace(/</g, '\\u003c')
}
