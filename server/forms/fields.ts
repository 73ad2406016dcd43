import { z } from 'zod'
import { isRowId } from '../db/values'
import { isoDate, parseDateParts, parseIsoDate, type CalendarDate } from '../time/london'

/**
 * Building blocks of the form schemas. A posted field is a string, but a crafted request can
 * send anything (an array, a number, nothing), so every field first becomes a string: what
 * the user meant to type is checked, never its type, and no message ever says "expected string".
 */

/** The field as one string: a repeated field's first value, anything else ''. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return ''
}

/** Browsers send line breaks as CRLF; counting them as one character matches the count the user sees. */
function normaliseNewlines(value: string): string {
  return value.replace(/\r\n/g, '\n')
}

function fewerThan(label: string, max: number): string {
  return `${label} must be ${max.toLocaleString('en-GB')} characters or fewer`
}

/** Text that must be given: trimmed, at most `max` characters. */
export function requiredText(options: { missing: string; label: string; max: number }) {
  return z.preprocess(
    (v) => normaliseNewlines(asText(v)),
    z.string().trim().min(1, options.missing).max(options.max, fewerThan(options.label, options.max)),
  )
}

/** Text that may be left blank: trimmed, at most `max` characters. */
export function optionalText(options: { label: string; max: number }) {
  return z.preprocess((v) => normaliseNewlines(asText(v)), z.string().trim().max(options.max, fewerThan(options.label, options.max)))
}

/** One of a fixed set of choices (radios, a select). */
export function choice<const T extends readonly [string, ...string[]]>(values: T, missing: string) {
  return z.preprocess(asText, z.enum(values, { error: missing }))
}

/** A level of the framework's scale, 1 to `levelCount`, as a number. */
export function level(levelCount: number, missing: string) {
  return z.preprocess(
    asText,
    z.string().regex(/^\d+$/, missing).transform(Number).pipe(z.number().int().min(1, missing).max(levelCount, missing)),
  )
}

/** An id chosen from a list, or null when the "Choose…" option was left. */
export function optionalId(invalid: string) {
  return z.preprocess(
    asText,
    z
      .string()
      .trim()
      .regex(/^\d*$/, invalid)
      .transform((v) => (v === '' ? null : Number(v)))
      // A number too large to be any row's id is no choice from the list.
      .refine((id) => id === null || isRowId(id), invalid),
  )
}

export function email(missing: string) {
  return z.preprocess(
    asText,
    z
      .string()
      .trim()
      .min(1, missing)
      .max(320, 'Email address must be 320 characters or fewer')
      .pipe(z.email('Enter an email address in the correct format, like name@example.org')),
  )
}

/** A London calendar day typed as YYYY-MM-DD (a date input's value), within the years people use here. */
export function calendarDate(invalid: string) {
  return z.preprocess(
    (v) => asText(v).trim(),
    z.string().transform((v, ctx): CalendarDate => {
      const date = parseIsoDate(v)
      if (date) return date
      ctx.addIssue({ code: 'custom', message: invalid })
      return z.NEVER
    }),
  )
}

/** As calendarDate, kept as its YYYY-MM-DD text (how date-only columns hold it). */
export function isoDateText(invalid: string) {
  return calendarDate(invalid).transform(isoDate)
}

/**
 * A date typed as day, month and year boxes (the NHS.UK date input) joined into one field,
 * `name`, as YYYY-MM-DD ('' when the boxes cannot be a date), for calendarDate to check.
 * Use it as the form's preprocess step; its error belongs to the day box (`${name}-day`).
 */
export function joinDateParts(body: unknown, ...names: string[]): Record<string, unknown> {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  const joined: Record<string, unknown> = { ...fields }
  for (const name of names) {
    const [day, month, year] = ['day', 'month', 'year'].map((part) => asText(fields[`${name}-${part}`]))
    const date = parseDateParts(day, month, year)
    joined[name] = date ? isoDate(date) : ''
  }
  return joined
}

/** A checkbox or a yes/no radio: true only for the value it sends when ticked. */
export function ticked(value = 'yes') {
  return z.preprocess((v) => asText(v) === value, z.boolean())
}
