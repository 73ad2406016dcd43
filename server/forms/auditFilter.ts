import { z } from 'zod'
import { isRowId } from '../db/values'
import { asText, calendarDate } from './fields'

/** Blank means "any": an unset filter is undefined. */
function blankAsUndefined<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => {
    const text = asText(v).trim()
    return text === '' ? undefined : text
  }, schema.optional())
}

/** The audit trail's filters (a query string): who, what kind of event, from and to which day. */
export function auditFilterForm(kinds: readonly string[]) {
  return z.object({
    user: blankAsUndefined(
      z.string().regex(/^\d+$/, 'Select a person from the list').transform(Number).refine(isRowId, 'Select a person from the list'),
    ),
    kind: blankAsUndefined(z.string().refine((v) => kinds.includes(v), 'Select a kind of event from the list')),
    from: blankAsUndefined(calendarDate('Enter the start date as a real date')),
    to: blankAsUndefined(calendarDate('Enter the end date as a real date')),
    // Only links make a page number, so a spoilt one is not the user's mistake: it means the first page.
    page: z.preprocess((v) => Number(asText(v)), z.number().int().min(1).max(100000).catch(1)),
  })
}

export type AuditFilterInput = z.output<ReturnType<typeof auditFilterForm>>
