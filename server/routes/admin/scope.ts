import { icsIdsWithRole, isIcsLead, managedPlaceIds } from '../../auth/access'
import { roles, roleLabels, type CurrentUser, type Role } from '../../auth/types'
import type { PlaceData } from '../../data/places'
import { ForbiddenError } from '../../errors'

/**
 * The ICS whose administration pages are shown: the one asked for, if the user may manage
 * it, else the first they lead. Place leads work in the ICS of their place.
 */
export function currentIcsId(user: CurrentUser, requested: unknown): number {
  const candidates = [...new Set(user.memberships.filter((m) => m.role === 'ics_lead' || m.role === 'place_lead').map((m) => m.icsId))]
  const asked = Number(requested)
  if (candidates.includes(asked)) return asked
  const first = icsIdsWithRole(user, 'ics_lead')[0] ?? candidates[0]
  if (first === undefined) throw new ForbiddenError()
  return first
}

/** As currentIcsId, for pages only an ICS lead may use. */
export function leadIcsId(user: CurrentUser, requested: unknown): number {
  const icsId = currentIcsId(user, requested)
  if (!isIcsLead(user, icsId)) throw new ForbiddenError()
  return icsId
}

/** The choices of scope for the invitation and role forms, limited to what the user manages. */
export async function scopeChoices(places: PlaceData, user: CurrentUser, icsId: number) {
  const lead = isIcsLead(user, icsId)
  const placeList = (await places.listPlaces(icsId)).filter((p) => lead || managedPlaceIds(user).includes(p.id))
  const organisations = (await places.listOrganisations({ icsId })).filter((o) => lead || managedPlaceIds(user).includes(o.placeId))
  const roleItems = (lead ? roles : (['partner'] as const)).map((role: Role) => ({ value: role, text: roleLabels[role] }))
  return {
    roleItems,
    placeItems: [{ value: '', text: 'Choose a place' }, ...placeList.map((p) => ({ value: p.id, text: p.name }))],
    organisationItems: [
      { value: '', text: 'Choose an organisation' },
      ...organisations.map((o) => ({ value: o.id, text: o.name, group: o.placeName })),
    ],
  }
}
