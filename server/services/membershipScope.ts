import { isIcsLead, managedPlaceIds } from '../auth/access'
import { roles, type CurrentUser, type Role } from '../auth/types'
import type { PlaceData } from '../data/places'
import type { ResultsVersionData } from '../data/resultsVersion'
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

/** The roles a user may grant in the ICS: every role for its lead, partner respondents for a place lead. */
export function grantableRoles(user: CurrentUser, icsId: number): Role[] {
  return isIcsLead(user, icsId) ? [...roles] : ['partner']
}

/**
 * What a user may grant roles in, for the invitation and role forms: every place and
 * organisation of the ICS and every role for its lead; a place lead only their places' partners.
 */
export async function grantableScopes(places: PlaceData, user: CurrentUser, icsId: number) {
  const lead = isIcsLead(user, icsId)
  const managed = managedPlaceIds(user)
  return {
    roles: grantableRoles(user, icsId),
    places: (await places.listPlaces(icsId)).filter((p) => lead || managed.includes(p.id)),
    organisations: (await places.listOrganisations({ icsId })).filter((o) => lead || managed.includes(o.placeId)),
  }
}

/**
 * A key that changes whenever grantableScopes(places, user, icsId) may: the ICS's results version,
 * which the database moves on every change to its places and organisations, and what the user
 * may grant in it.
 */
export async function grantableScopesVersion(versions: ResultsVersionData, user: CurrentUser, icsId: number): Promise<string> {
  const grants = isIcsLead(user, icsId) ? 'lead' : managedPlaceIds(user).join(',')
  return `${icsId}:${await versions.forIcs(icsId)}:${grants}`
}
