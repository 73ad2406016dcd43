import { z } from 'zod'
import { parseDateParts, type CalendarDate } from '../time/london'
import { maxTokenNameLength } from '../services/apiTokenService'
import { asText as text } from './fields'

/** The API token form: a name people will recognise the token by. */
export const apiTokenForm = z.object({
  name: z.preprocess(
    text,
    z
      .string()
      .trim()
      .min(1, 'Enter a name for the token')
      .max(maxTokenNameLength, `Name must be ${maxTokenNameLength} characters or fewer`),
  ),
})

/** The audit trail download's range: two London calendar days, typed in NHS.UK date inputs. */
export const auditRangeForm = z
  .object({
    'from-day': z.preprocess(text, z.string()),
    'from-month': z.preprocess(text, z.string()),
    'from-year': z.preprocess(text, z.string()),
    'to-day': z.preprocess(text, z.string()),
    'to-month': z.preprocess(text, z.string()),
    'to-year': z.preprocess(text, z.string()),
  })
  .transform((v, ctx) => {
    const from = parseDateParts(v['from-day'], v['from-month'], v['from-year'])
    const to = parseDateParts(v['to-day'], v['to-month'], v['to-year'])
    if (!from) ctx.addIssue({ code: 'custom', path: ['from-day'], message: 'Enter the start date as a real date, for example 1 10 2021' })
    if (!to) ctx.addIssue({ code: 'custom', path: ['to-day'], message: 'Enter the end date as a real date, for example 31 10 2021' })
    if (!from || !to) return z.NEVER
    const order = (d: CalendarDate) => d.year * 10000 + d.month * 100 + d.day
    if (order(to) < order(from)) {
      ctx.addIssue({ code: 'custom', path: ['to-day'], message: 'The end date must be the same as or after the start date' })
      return z.NEVER
    }
    return { from, to }
  })
