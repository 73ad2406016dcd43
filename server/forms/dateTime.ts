import { londonDateOf, londonTime, parseDateParts } from '../time/london'
import type { FormError } from './errors'

/**
 * A date and time typed in London time: the NHS.UK date input (`<id>-day`, `-month`, `-year`)
 * and a time box (`<id>-time`, "17:00" or "5pm"). The instant it names, or the error for the
 * field (on its day box, where the error summary's link lands).
 */
export function parseLondonDateTime(
  body: Record<string, unknown>,
  id: string,
  label: string,
  /** The time a blank time box means: 17:00 for a deadline (a deadline day ends then). */
  defaultTime: string,
  /** Other words for a date left blank or not real, where a form has its own. */
  messages: { missing?: string; invalid?: string } = {},
): { ok: true; at: Date } | { ok: false; error: FormError } {
  const text = (name: string) => (typeof body[`${id}-${name}`] === 'string' ? (body[`${id}-${name}`] as string).trim() : '')
  const [day, month, year, time] = [text('day'), text('month'), text('year'), text('time')]
  if (!day && !month && !year) return { ok: false, error: { text: messages.missing ?? `Enter ${label}`, href: `#${id}-day` } }
  const date = parseDateParts(day, month, year)
  if (!date) return { ok: false, error: { text: messages.invalid ?? `Enter ${label} as a real date, like 29 10 2026`, href: `#${id}-day` } }
  const clock = parseTime(time || defaultTime)
  if (!clock) return { ok: false, error: { text: `Enter the time of ${label} as hours and minutes, like 17:00`, href: `#${id}-time` } }
  return { ok: true, at: londonTime(date, clock.hour, clock.minute) }
}

/** "17:00", "9:30", "5pm", "5.30pm", "12am" -> hour and minute; undefined for anything else. */
export function parseTime(text: string): { hour: number; minute: number } | undefined {
  const match = /^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$/i.exec(text.trim().replace(/\s+/g, ''))
  if (!match) return undefined
  let hour = Number(match[1])
  const minute = Number(match[2] ?? '0')
  const half = match[3]?.toLowerCase()
  if (half) {
    if (hour < 1 || hour > 12) return undefined
    hour = (hour % 12) + (half === 'pm' ? 12 : 0)
  } else if (match[2] === undefined) return undefined
  if (hour > 23 || minute > 59) return undefined
  return { hour, minute }
}

/** The boxes of a date-and-time field for an instant, in London time: to show a saved value in the form. */
export function londonDateTimeFields(id: string, at: Date): Record<string, string> {
  const { year, month, day } = londonDateOf(at)
  const time = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    at,
  )
  return { [`${id}-day`]: String(day), [`${id}-month`]: String(month), [`${id}-year`]: String(year), [`${id}-time`]: time }
}
