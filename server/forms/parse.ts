import type { z } from 'zod'
import { ValidationError } from '../errors'
import { fromZod } from './errors'

/**
 * Checks a posted form (or a query string) against its schema: the parsed values, or a
 * ValidationError with one message per problem, each pointing at its field (`fieldIds` maps a
 * field's name to its id on the page where they differ).
 */
export function parseForm<S extends z.ZodType>(schema: S, input: unknown, fieldIds: Record<string, string> = {}): z.output<S> {
  // A form body is an object of fields; anything else (a crafted request) is a form left empty.
  const fields = typeof input === 'object' && input !== null && !Array.isArray(input) ? input : {}
  const parsed = schema.safeParse(fields)
  if (!parsed.success) throw new ValidationError(fromZod(parsed.error, fieldIds))
  return parsed.data
}
