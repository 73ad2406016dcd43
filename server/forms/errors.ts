import type { ZodError } from 'zod'

/** The one shape of a form error: the message and the id of the field it belongs to. */
export interface FormError {
  text: string
  href: `#${string}`
}

/** What a view needs to show errors: the summary list, and each field's own message. */
export interface FormErrorView {
  errorSummary: FormError[]
  fieldErrors: Record<string, string>
}

export function formErrorView(errors: FormError[]): FormErrorView {
  const fieldErrors: Record<string, string> = {}
  for (const error of errors) {
    const field = error.href.slice(1)
    if (!(field in fieldErrors)) fieldErrors[field] = error.text
  }
  return { errorSummary: errors, fieldErrors }
}

/** Zod issues as form errors; the first path segment names the field (its id on the page). */
export function fromZod(error: ZodError, fieldIds: Record<string, string> = {}): FormError[] {
  return error.issues.map((issue) => {
    const field = String(issue.path[0] ?? 'form')
    return { text: issue.message, href: `#${fieldIds[field] ?? field}` }
  })
}
