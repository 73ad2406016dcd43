import { icsIdsWithRole, isIcsLead } from '../../auth/access'
import { roleLabels, type CurrentUser, type Role } from '../../auth/types'
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

/** The choices of the invitation and role forms, as the form's radios and selects list them. */
export function scopeItems(scopes: {
  roles: Role[]
  places: Array<{ id: number; name: string }>
  organisations: Array<{ id: number; name: string; placeName: string }>
}) {
  return {
    roleItems: roleItems(scopes.roles),
    placeItems: [{ value: '', text: 'Choose a place' }, ...scopes.places.map((p) => ({ value: p.id, text: p.name }))],
    organisationItems: [
      { value: '', text: 'Choose an organisation' },
      ...scopes.organisations.map((o) => ({ value: o.id, text: o.name, group: o.placeName })),
    ],
  }
}

/** The choices of a role radio. */
export function roleItems(roles: Role[]) {
  return roles.map((role) => ({ value: role, text: roleLabels[role] }))
}
