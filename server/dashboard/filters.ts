/**
 * The dashboard's filters and sort order, read from the query string of a GET form and links,
 * so they work without JavaScript and every view (and its downloads) has its own address.
 * Anything unknown is ignored rather than refused: a stale bookmark still opens the dashboard.
 */

export type SortKey = 'place' | 'readiness' | `domain:${string}`

export interface DashboardFilters {
  /** Show only this domain's criteria; null: every domain. */
  domain: string | null
  /** Show only places recommended at these readiness levels; empty: every level. */
  readiness: number[]
  /** Show only these places; empty: every place in scope. */
  places: number[]
  sort: SortKey
  /** The place drawn against the ICS median in the radar chart; null: the first place shown. */
  compare: number | null
}

function many(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return typeof value === 'string' && value !== '' ? [value] : []
}

function wholeNumbers(value: unknown): number[] {
  return [
    ...new Set(
      many(value)
        .filter((v) => /^\d{1,9}$/.test(v))
        .map(Number),
    ),
  ].sort((a, b) => a - b)
}

/** Reads the filters from a parsed query string, keeping only values that name something real. */
export function parseFilters(
  query: Record<string, unknown>,
  known: { domainCodes: string[]; readinessLevels: number[]; placeIds: number[] },
): DashboardFilters {
  const domain = typeof query.domain === 'string' && known.domainCodes.includes(query.domain) ? query.domain : null
  const readiness = wholeNumbers(query.readiness).filter((l) => known.readinessLevels.includes(l))
  const places = wholeNumbers(query.place).filter((id) => known.placeIds.includes(id))
  const sortValue = typeof query.sort === 'string' ? query.sort : ''
  const sort: SortKey =
    sortValue === 'readiness' || (sortValue.startsWith('domain:') && known.domainCodes.includes(sortValue.slice(7)))
      ? (sortValue as SortKey)
      : 'place'
  const compareValue = wholeNumbers(query.compare)[0]
  const compare = compareValue !== undefined && known.placeIds.includes(compareValue) ? compareValue : null
  return { domain, readiness, places, sort, compare }
}

/** The query string for these filters with some changed: for sort links and downloads. */
export function queryOf(filters: DashboardFilters, changes: Partial<DashboardFilters> = {}): string {
  const f = { ...filters, ...changes }
  const params = new URLSearchParams()
  if (f.domain) params.append('domain', f.domain)
  for (const level of f.readiness) params.append('readiness', String(level))
  for (const id of f.places) params.append('place', String(id))
  if (f.sort !== 'place') params.append('sort', f.sort)
  if (f.compare !== null) params.append('compare', String(f.compare))
  const text = params.toString()
  return text ? `?${text}` : ''
}

export function isFiltered(filters: DashboardFilters): boolean {
  return filters.domain !== null || filters.readiness.length > 0 || filters.places.length > 0
}
