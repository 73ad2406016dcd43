import { z } from 'zod'
import { roles } from '../auth/types'
import { choice, email, optionalId, requiredText } from './fields'

/** A role and where it applies: the scope a role needs is checked by the service, against the ICS. */
const roleAndScope = {
  role: choice(roles, 'Select a role'),
  placeId: optionalId('Select the place'),
  organisationId: optionalId('Select the partner organisation'),
}

export const invitationForm = z.object({
  name: requiredText({ missing: 'Enter the person’s full name', label: 'Name', max: 200 }),
  email: email('Enter their email address'),
  ...roleAndScope,
})

export type InvitationInput = z.output<typeof invitationForm>

export const membershipForm = z.object(roleAndScope)

export type MembershipChange = z.output<typeof membershipForm>
