export const pageSize = 50

/** The page number asked for in a query string, within bounds. */
export function pageNumber(value: unknown): number {
  return Math.max(1, Math.min(100000, Number(value) || 1))
}

/** Links to the previous and next pages; `base` ends with `?` or `&`. */
export function pagination(page: number, total: number, base: string) {
  const pages = Math.max(1, Math.ceil(total / pageSize))
  return {
    total,
    page,
    pages,
    previousHref: page > 1 ? `${base}page=${page - 1}` : undefined,
    nextHref: page < pages ? `${base}page=${page + 1}` : undefined,
  }
}
