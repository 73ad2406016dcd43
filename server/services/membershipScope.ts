import type { Role } from '../auth/types'
import type { PlaceData } from '../data/places'
import type { MembershipInput } from '../data/users'
import { ValidationError } from '../errors'

/**
 * The scope a role needs, checked against the ICS: a partner respondent belongs to an
 * organisation (and so its place), a place lead to a place, a viewer to the ICS or one place,
 * an ICS lead to the ICS. Used wherever a role is granted: invitations and user management.
 * Throws a ValidationError naming the missing choice.
 */
export async function resolveMembershipScope(
  places: PlaceData,
  icsId: number,
  input: { role: Role; placeId: number | null; organisationId: number | null },
): Promise<MembershipInput> {
  if (input.role === 'partner') {
    const organisation = input.organisationId === null ? undefined : await places.findOrganisation(input.organisationId)
    if (!organisation || organisation.icsId !== icsId)
      throw new ValidationError([{ text: 'Select the partner organisation', href: '#organisationId' }])
    return { role: 'partner', icsId, placeId: organisation.placeId, organisationId: organisation.id }
  }
  if (input.role === 'place_lead' || (input.role === 'viewer' && input.placeId !== null)) {
    const place = input.placeId === null ? undefined : await places.findPlace(input.placeId)
    if (!place || place.icsId !== icsId) throw new ValidationError([{ text: 'Select the place', href: '#placeId' }])
    return { role: input.role, icsId, placeId: place.id, organisationId: null }
  }
  return { role: input.role, icsId, placeId: null, organisationId: null }
}
