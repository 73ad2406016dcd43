/**
 * Dates as people see and type them: always Europe/London time (GMT or BST), whatever the
 * server's own time zone. Instants are stored in UTC; these turn them into words and back.
 */

export const ukTimeZone = 'Europe/London'

const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: ukTimeZone,
})

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: ukTimeZone })

const offsetFormat = new Intl.DateTimeFormat('en-GB', { timeZone: ukTimeZone, timeZoneName: 'longOffset' })

/** "22 November 2026 at 14:32", in UK time, as NHS.UK style asks. */
export function formatDateTime(date: Date): string {
  const parts = dateTimeFormat.formatToParts(date)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${get('day')} ${get('month')} ${get('year')} at ${get('hour')}:${get('minute')}`
}

/** "22 November 2026", the UK day of an instant. */
export function formatDate(date: Date): string {
  return dateFormat.format(date)
}

/** Minutes UK time is ahead of UTC at an instant: 0 in winter (GMT), 60 in summer (BST). */
function ukOffsetMinutes(at: Date): number {
  const name = offsetFormat.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT'
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name)
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0
}

/**
 * The instant of a UK wall-clock time on a day given as YYYY-MM-DD: "19 December at 5pm" is
 * 17:00 UTC, "19 June at 5pm" 16:00 UTC.
 */
export function ukTime(day: string, hour: number, minute = 0): Date {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number]
  const asIfUtc = Date.UTC(year, month - 1, date, hour, minute)
  // The offset at the UTC reading is right except within an hour of a clock change; checking again settles it.
  const first = new Date(asIfUtc - ukOffsetMinutes(new Date(asIfUtc)) * 60_000)
  return new Date(asIfUtc - ukOffsetMinutes(first) * 60_000)
}

const dayFormat = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: ukTimeZone })

/** The UK calendar day of an instant, as YYYY-MM-DD (a date input's value). */
export function ukDay(date: Date): string {
  return dayFormat.format(date)
}

/** Whole calendar days from one UK day to another: from 22 November to 13 December is 21. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / (24 * 60 * 60 * 1000))
}
