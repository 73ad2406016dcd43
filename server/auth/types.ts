export const roles = ['ics_lead', 'place_lead', 'partner', 'viewer'] as const
export type Role = (typeof roles)[number]

export const roleLabels: Record<Role, string> = {
  ics_lead: 'ICS lead',
  place_lead: 'Place lead',
  partner: 'Partner respondent',
  viewer: 'Board viewer',
}

/** One role in one scope: an ICS, a place of it, or a partner organisation of a place. */
export interface Membership {
  id: number
  role: Role
  icsId: number
  icsName: string
  placeId: number | null
  placeName: string | null
  organisationId: number | null
  organisationName: string | null
}

export interface CurrentUser {
  id: number
  email: string
  name: string
  memberships: Membership[]
}

/**
 * Who does something and from where: the signed-in user and their IP address, passed as one
 * value to every service method that changes something, and recorded with its audit event.
 */
export interface Actor {
  user: CurrentUser
  ip: string | undefined
}

export function describeScope(m: Membership): string {
  if (m.organisationName) return `${m.organisationName}, ${m.placeName}`
  if (m.placeName) return `${m.placeName}, ${m.icsName}`
  return m.icsName
}
