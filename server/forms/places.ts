import { z } from 'zod'
import { organisationKinds } from '../organisations/kinds'

/** Text as typed: a repeated or missing field counts as blank, never as "expected string". */
const text = (value: unknown) => (typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '')

const name = (missing: string, label: string) =>
  z.preprocess((v) => text(v).trim().replace(/\s+/g, ' '), z.string().min(1, missing).max(200, `${label} must be 200 characters or fewer`))

/** Adding or renaming a place. */
export const placeForm = z.object({ name: name('Enter the name of the place', 'The name') })

/** Adding or changing a partner organisation. */
export const organisationForm = z.object({
  name: name('Enter the name of the organisation', 'The name'),
  kind: z.preprocess(text, z.enum(organisationKinds, { error: 'Select the type of organisation' })),
})

/** Retiring or reinstating, with the reason kept in the audit trail. */
export const reasonForm = z.object({
  reason: z.preprocess(
    (v) => text(v).trim(),
    z.string().min(1, 'Enter the reason').max(1000, 'The reason must be 1,000 characters or fewer'),
  ),
})
