import { z } from 'zod'
import { isRowId } from '../db/values'
import { ValidationError } from '../errors'
import { maxReminderDay } from '../rounds/schedule'
import { parseLondonDateTime } from './dateTime'
import type { FormError } from './errors'
import { fromZod } from './errors'

const text = (value: unknown) => (typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '')

/** "7, 3, 1" as typed -> [7, 3, 1]; anything but whole days from 1 to 60 is an error. */
export const reminderDaysField = z.preprocess(
  (v) => text(v).trim(),
  z
    .string()
    .max(100, 'Enter at most a few reminder days')
    .refine((v) => v === '' || /^\d+(\s*,\s*\d+)*$/.test(v), 'Enter reminder days as whole numbers separated by commas, like 7, 3, 1')
    .transform((v) => (v === '' ? [] : v.split(',').map((d) => Number(d.trim()))))
    .refine((days) => days.every((d) => d >= 1 && d <= maxReminderDay), `Enter reminder days from 1 to ${maxReminderDay}`)
    .refine((days) => new Set(days).size === days.length, 'Enter each reminder day once'),
)

/** The round form's fields but its dates (see parseRoundForm). */
export const roundFields = z.object({
  title: z.preprocess(
    (v) => text(v).trim().replace(/\s+/g, ' '),
    z.string().min(1, 'Enter the name of the round').max(200, 'The name must be 200 characters or fewer'),
  ),
  frameworkVersionId: z.preprocess(
    (v) => text(v),
    z
      .string()
      .regex(/^\d+$/, 'Select the framework version')
      .transform(Number)
      .refine((id) => isRowId(id), 'Select the framework version'),
  ),
  placeIds: z.preprocess(
    // Each ticked box's value as text: a crafted body's numbers or objects are boxes that are not on the page.
    (v) =>
      (Array.isArray(v) ? v : typeof v === 'string' && v !== '' ? [v] : []).map((box: unknown) => (typeof box === 'string' ? box : '')),
    z
      .array(
        z
          .string()
          .regex(/^\d+$/, 'Select the places taking part')
          .transform(Number)
          .refine((id) => isRowId(id), 'Select the places taking part'),
      )
      .min(1, 'Select the places taking part'),
  ),
  reminderDays: reminderDaysField,
  copyFrom: z.preprocess(
    (v) => text(v),
    z
      .string()
      .regex(/^\d*$/, 'Choose the round to copy from the list of rounds')
      .transform((v) => (v === '' ? null : Number(v)))
      .refine((v) => v === null || isRowId(v), 'Choose the round to copy from the list of rounds'),
  ),
})

export type RoundFormValues = z.output<typeof roundFields> & { opensAt: Date; closesAt: Date }

/**
 * The round form: its name, framework version, when it opens and its deadline (London date and
 * time), the places taking part and the reminder days. Every problem at once, each on its field,
 * as a ValidationError (like parseForm).
 */
export function parseRoundForm(input: unknown): RoundFormValues {
  const body = formFields(input)
  const parsed = roundFields.safeParse(body)
  const opens = parseLondonDateTime(body, 'opens', 'when the round opens', '09:00')
  const closes = parseLondonDateTime(body, 'closes', 'the deadline', '17:00')
  const errors: FormError[] = parsed.success ? [] : fromZod(parsed.error)
  const ordered: FormError[] = []
  // In the order of the fields on the page.
  for (const field of ['#title', '#frameworkVersionId']) ordered.push(...errors.filter((e) => e.href === field))
  if (!opens.ok) ordered.push(opens.error)
  if (!closes.ok) ordered.push(closes.error)
  for (const field of ['#placeIds', '#reminderDays', '#copyFrom']) ordered.push(...errors.filter((e) => e.href === field))
  if (!parsed.success || !opens.ok || !closes.ok) throw new ValidationError(ordered)
  return { ...parsed.data, opensAt: opens.at, closesAt: closes.at }
}

/** A posted form's fields; anything but an object (a crafted request) is a form left empty. */
function formFields(input: unknown): Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {}
}

const reason = (missing: string) =>
  z.preprocess((v) => text(v).trim(), z.string().min(1, missing).max(1000, 'The reason must be 1,000 characters or fewer'))

/** Opening a round before its opening time. */
export const openRoundForm = z.object({ 'open-reason': reason('Enter the reason for opening the round early') })

/** Closing a round before its deadline. */
export const closeRoundForm = z.object({ 'close-reason': reason('Enter the reason for closing the round early') })

/** Extending a round: the new deadline (London date and time) and why; a ValidationError naming every problem. */
export function parseExtendForm(input: unknown): { until: Date; reason: string } {
  const body = formFields(input)
  const until = parseLondonDateTime(body, 'until', 'the new deadline', '17:00', {
    missing: 'Enter the new deadline as a real date',
    invalid: 'Enter the new deadline as a real date',
  })
  const why = z.object({ reason: reason('Enter the reason') }).safeParse(body)
  const errors = [...(until.ok ? [] : [until.error]), ...(why.success ? [] : fromZod(why.error))]
  if (!until.ok || !why.success) throw new ValidationError(errors)
  return { until: until.at, reason: why.data.reason }
}

/** Reopening one organisation's submitted response. */
export const reopenResponseForm = z.object({ reason: reason('Enter the reason for reopening') })

export const reminderDaysForm = z.object({ reminderDays: reminderDaysField })
