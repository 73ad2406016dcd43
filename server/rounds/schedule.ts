/**
 * When a round is open, and which reminder is due: pure rules over a round's dates, so that
 * pages, saves and the reminder job agree.
 *
 * A round opens at `opensAt` and takes answers until its deadline: the extension when there is
 * one, else `closesAt`. The ICS lead may close it early (`closedAt`); extending a closed round
 * opens it again until the new deadline.
 */

export interface RoundDates {
  opensAt: Date
  closesAt: Date
  extendedUntil: Date | null
  closedAt: Date | null
}

export type RoundState = 'upcoming' | 'open' | 'closed'

const dayMs = 24 * 60 * 60 * 1000

export const defaultReminderDays = [7, 3, 1] as const
export const maxReminderDay = 60

/** The deadline partners are told: the extension, else the original closing time. */
export function deadlineOf(round: RoundDates): Date {
  return round.extendedUntil ?? round.closesAt
}

/** When answers stop being taken: the deadline, or earlier if the ICS lead closed the round. */
export function endOf(round: RoundDates): Date {
  const deadline = deadlineOf(round)
  return round.closedAt && round.closedAt < deadline ? round.closedAt : deadline
}

export function roundState(round: RoundDates, now: Date): RoundState {
  if (now < round.opensAt) return 'upcoming'
  return now < endOf(round) ? 'open' : 'closed'
}

/** "7,3,1" as stored -> [7, 3, 1]: whole days, largest first, no repeats. */
export function parseReminderDays(text: string): number[] {
  const days = text
    .split(/[\s,]+/)
    .filter((part) => part !== '')
    .map(Number)
  return normaliseReminderDays(days)
}

export function normaliseReminderDays(days: number[]): number[] {
  return [...new Set(days.filter((d) => Number.isInteger(d) && d >= 1 && d <= maxReminderDay))].sort((a, b) => b - a)
}

export function formatReminderDays(days: readonly number[]): string {
  return days.join(',')
}

/** "7, 3 and 1 days before the deadline". */
export function describeReminderDays(days: readonly number[]): string {
  if (days.length === 0) return 'no reminders'
  const list = days.length === 1 ? String(days[0]) : `${days.slice(0, -1).join(', ')} and ${days[days.length - 1]}`
  return `${list} ${days.length === 1 && days[0] === 1 ? 'day' : 'days'} before the deadline`
}

/**
 * The reminder due now for an open round: the offset (days before the deadline) whose moment
 * has passed most recently. A check that finds the 7-day moment long gone and the 3-day one
 * passed sends only the 3-day reminder, so no one gets two at once. Undefined when the round
 * is not open or no reminder's moment has come.
 */
export function dueReminderDay(round: RoundDates, days: readonly number[], now: Date): number | undefined {
  if (roundState(round, now) !== 'open') return undefined
  const left = deadlineOf(round).getTime() - now.getTime()
  const passed = days.filter((d) => left <= d * dayMs)
  return passed.length === 0 ? undefined : Math.min(...passed)
}
