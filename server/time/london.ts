/**
 * Every date a person sees or types is Europe/London time; every stored instant is UTC. This
 * module is the one place that converts between them, so that summer time (BST, UTC+1) and
 * winter time (GMT) are handled alike everywhere, whatever the server's own TZ.
 */

export const londonTimeZone = 'Europe/London'

/** A deadline day ends at 5pm London time, summer or winter. */
export const deadlineHour = 17

/** Years a person may reasonably type for a date in PlaceReady (rounds, decisions, plans). */
export const earliestYear = 2000
export const latestYear = 2100

export interface CalendarDate {
  year: number
  month: number
  day: number
}

const wallClock = new Intl.DateTimeFormat('en-GB', {
  timeZone: londonTimeZone,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})

/**
 * Intl formatting costs microseconds a call, and pages show the same instants over and over
 * (deadlines, submissions, decisions), so each process remembers the last few thousand.
 */
function byInstant<T>(compute: (date: Date) => T): (date: Date) => T {
  const remembered = new Map<number, T>()
  return (date) => {
    const key = date.getTime()
    let value = remembered.get(key)
    if (value === undefined) {
      if (remembered.size >= 5000) remembered.clear()
      value = compute(date)
      remembered.set(key, value)
    }
    return value
  }
}

/** The London wall-clock reading of an instant, as numbers. */
export const londonWallClock = byInstant((date: Date): Readonly<CalendarDate & { hour: number; minute: number; second: number }> => {
  const parts = Object.fromEntries(wallClock.formatToParts(date).map((p) => [p.type, p.value]))
  return Object.freeze({
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  })
})

/** How far London's clocks are ahead of UTC at an instant, in milliseconds (0 in winter, an hour in summer). */
function londonOffsetMs(date: Date): number {
  const p = londonWallClock(date)
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second)
  return asUtc - Math.floor(date.getTime() / 1000) * 1000
}

/** Whether year, month and day name a day that exists (no 31 February). */
export function isRealDate({ year, month, day }: CalendarDate): boolean {
  if (![year, month, day].every(Number.isInteger) || month < 1 || month > 12 || day < 1) return false
  const probe = new Date(Date.UTC(2000, month - 1, day))
  probe.setUTCFullYear(year)
  return probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day
}

/**
 * The instant at which London's clocks show this time on this day. Times that do not exist
 * (the hour skipped when the clocks go forward) move on by the hour skipped.
 */
export function londonTime(date: CalendarDate, hour = 0, minute = 0): Date {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour, minute)
  // The offset at the wall time read as UTC is right except within an hour of a change; a second look settles it.
  let instant = wall - londonOffsetMs(new Date(wall))
  instant = wall - londonOffsetMs(new Date(instant))
  return new Date(instant)
}

/** The moment a deadline on this London day passes: 17:00 London time. */
export function deadlineOn(date: CalendarDate): Date {
  return londonTime(date, deadlineHour)
}

/** The start (midnight, London time) of a London day. */
export function startOfLondonDay(date: CalendarDate): Date {
  return londonTime(date)
}

/** The calendar day after this one. */
export function nextDay({ year, month, day }: CalendarDate): CalendarDate {
  const next = new Date(Date.UTC(year, month - 1, day + 1))
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() }
}

const minuteMs = 60 * 1000
const hourMs = 60 * minuteMs
/** Since London's clocks first read GMT (1 December 1847) they have only ever been whole hours from UTC. */
const wholeHourOffsetsSince = Date.UTC(1847, 11, 1)

/**
 * The London calendar day an instant falls on. Its day depends only on the hour it falls in, so
 * the instant is read at the start of that hour: "now", new on every request (days left to a
 * deadline), is then a wall-clock reading each process has already made rather than a new one.
 */
export function londonDateOf(instant: Date): CalendarDate {
  const time = instant.getTime()
  const probe = time >= wholeHourOffsetsSince ? new Date(time - (((time % hourMs) + hourMs) % hourMs)) : instant
  const { year, month, day } = londonWallClock(probe)
  return { year, month, day }
}

/** "2026-11-22": the London day of an instant, as date fields and date-only columns hold it. */
export function londonIsoDate(instant: Date): string {
  return isoDate(londonDateOf(instant))
}

export function isoDate({ year, month, day }: CalendarDate): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

/** A "YYYY-MM-DD" text as a real calendar date within the years people use here, else undefined. */
export function parseIsoDate(text: unknown): CalendarDate | undefined {
  if (typeof text !== 'string') return undefined
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (!match) return undefined
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) }
  return isRealDate(date) && date.year >= earliestYear && date.year <= latestYear ? date : undefined
}

/**
 * Day, month and year as typed in the three boxes of a date field: whole numbers only, a
 * four-digit year within the years people use here, and a day that exists.
 */
export function parseDateParts(day: unknown, month: unknown, year: unknown): CalendarDate | undefined {
  const whole = (v: unknown, digits: RegExp) => (typeof v === 'string' && digits.test(v.trim()) ? Number(v.trim()) : NaN)
  const date = { year: whole(year, /^\d{4}$/), month: whole(month, /^\d{1,2}$/), day: whole(day, /^\d{1,2}$/) }
  return isRealDate(date) && date.year >= earliestYear && date.year <= latestYear ? date : undefined
}

const dayMs = 24 * 60 * 60 * 1000

/** Whole London calendar days from one instant's day to another's: 1 from 23:30 to 00:30 the next day. */
export function londonDaysBetween(from: Date, to: Date): number {
  const day = (d: Date) => {
    const { year, month, day } = londonDateOf(d)
    return Date.UTC(year, month - 1, day)
  }
  return Math.round((day(to) - day(from)) / dayMs)
}

/** Whole London days left until a deadline: 0 on the day itself, never negative. */
export function daysLeft(deadline: Date, now: Date): number {
  return Math.max(0, londonDaysBetween(now, deadline))
}

const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: londonTimeZone,
})

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: londonTimeZone })
const monthYearFormat = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: londonTimeZone })

/**
 * byInstant for what shows no seconds: every instant of one minute shares it, so a save's "saved
 * at" (a new millisecond each time) is formatted once a minute rather than on every save.
 */
function byMinute<T>(compute: (date: Date) => T): (date: Date) => T {
  const remembered = byInstant(compute)
  return (date) => {
    const time = date.getTime()
    // Before December 1847 (or an invalid date) as it is: London's minutes did not start on UTC's then.
    if (!(time >= wholeHourOffsetsSince)) return remembered(date)
    const minute = time - (((time % minuteMs) + minuteMs) % minuteMs)
    return remembered(minute === time ? date : new Date(minute))
  }
}

/** "22 November 2026 at 14:32", in London time, as NHS.UK style asks. */
export const formatDateTime = byMinute((date: Date): string => {
  const parts = dateTimeFormat.formatToParts(date)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${get('day')} ${get('month')} ${get('year')} at ${get('hour')}:${get('minute')}`
})

/** "22 November 2026": the London day of an instant. */
export const formatDate = byInstant((date: Date): string => dateFormat.format(date))

/** "November 2026": the London month of an instant. */
export const formatMonthYear = byInstant((date: Date): string => monthYearFormat.format(date))

/** "31 March 2027" for a date-only value ("2027-03-31"), which has no time zone of its own. */
export function formatCalendarDate(value: string | CalendarDate): string {
  const date = typeof value === 'string' ? parseIsoDate(value) : value
  if (!date) return String(value)
  // Noon UTC is the same calendar day in London, summer or winter.
  return formatDate(new Date(Date.UTC(date.year, date.month - 1, date.day, 12)))
}
