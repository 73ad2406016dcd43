/**
 * SQLite and PostgreSQL hand back timestamps and booleans differently (text or numbers
 * against Date and boolean). Data modules read every row through these so services see one
 * shape whatever the database.
 */
export function toDate(value: unknown): Date {
  if (value instanceof Date) return value
  if (typeof value === 'number') return new Date(value)
  if (typeof value === 'string') {
    // SQLite's CURRENT_TIMESTAMP is "YYYY-MM-DD HH:MM:SS" in UTC without a zone.
    return new Date(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(value) ? `${value.replace(' ', 'T')}Z` : value)
  }
  throw new TypeError(`Not a timestamp: ${String(value)}`)
}

export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value)
}

export function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't'
}

/** Timestamps are always written as ISO strings, so they sort and compare alike in both databases. */
export function timestamp(date: Date = new Date()): string {
  return date.toISOString()
}

/** Counts come back as strings from PostgreSQL (bigint) and numbers from SQLite. */
export function toCount(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0)
}

/**
 * Ids are integer columns: 32-bit on PostgreSQL, where comparing one with a larger number is an
 * error rather than no match. A number beyond this is no row's id.
 */
export const maxRowId = 2_147_483_647

/** Whether a number can be a row's id: a whole number from 1 to maxRowId. */
export function isRowId(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= maxRowId
}
