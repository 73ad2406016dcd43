import type { ApiClient } from './apiClient'
import type { CurrentUser, Role } from './types'

/**
 * Who may do what: the one place PlaceReady decides access. Routes declare a rule for who
 * may reach them at all (see guardedRouter); services then ask the scope questions below
 * about the particular ICS, place or organisation, and treat a "no" as "not found".
 */

export type AccessRule = { kind: 'public' } | { kind: 'signedIn' } | { kind: 'roles'; roles: readonly Role[] } | { kind: 'apiToken' }

export const allow = {
  /** Anyone, signed in or not. */
  public: { kind: 'public' } as AccessRule,
  /** Any signed-in user, whatever their role. */
  signedIn: { kind: 'signedIn' } as AccessRule,
  /** Signed-in users holding at least one of these roles somewhere. */
  roles: (...roles: Role[]): AccessRule => ({ kind: 'roles', roles }),
  /** A request to the JSON API carrying a valid token: its ICS is then the whole scope. No session counts. */
  apiToken: { kind: 'apiToken' } as AccessRule,
}

export type AccessDecision = 'allowed' | 'sign-in-needed' | 'forbidden'

export function decide(rule: AccessRule, user: CurrentUser | undefined, apiClient?: ApiClient): AccessDecision {
  if (rule.kind === 'public') return 'allowed'
  if (rule.kind === 'apiToken') return apiClient ? 'allowed' : 'sign-in-needed'
  if (!user) return 'sign-in-needed'
  if (rule.kind === 'signedIn') return 'allowed'
  return user.memberships.some((m) => rule.roles.includes(m.role)) ? 'allowed' : 'forbidden'
}

/** The ICSs where the user holds this role (ICS-wide memberships only, for ICS lead and viewer). */
export function icsIdsWithRole(user: CurrentUser, role: Role): number[] {
  return [...new Set(user.memberships.filter((m) => m.role === role && m.placeId === null).map((m) => m.icsId))]
}

export function isIcsLead(user: CurrentUser, icsId: number): boolean {
  return user.memberships.some((m) => m.role === 'ics_lead' && m.icsId === icsId)
}

export function isPlaceLead(user: CurrentUser, placeId: number): boolean {
  return user.memberships.some((m) => m.role === 'place_lead' && m.placeId === placeId)
}

/** ICS leads manage every place of their ICS; place leads manage their own place. */
export function canManagePlace(user: CurrentUser, place: { id: number; icsId: number }): boolean {
  return isIcsLead(user, place.icsId) || isPlaceLead(user, place.id)
}

/** Read access to a place's results: its managers, and viewers of the place or its whole ICS. */
export function canViewPlace(user: CurrentUser, place: { id: number; icsId: number }): boolean {
  return (
    canManagePlace(user, place) ||
    user.memberships.some((m) => m.role === 'viewer' && m.icsId === place.icsId && (m.placeId === null || m.placeId === place.id))
  )
}

/**
 * Who may grant a role: an ICS lead any role in their ICS, a place lead only partner
 * respondents of their own place. Checked when an invitation is sent and again when it is
 * accepted, so an invitation never grants more than its sender may grant at that moment.
 */
export function canGrantRole(user: CurrentUser, scope: { role: Role; icsId: number; placeId: number | null }): boolean {
  if (isIcsLead(user, scope.icsId)) return true
  return scope.role === 'partner' && scope.placeId !== null && isPlaceLead(user, scope.placeId)
}

/**
 * A partner's own answers (each organisation's level, evidence and support) are working papers:
 * they are read by the organisation's respondents, its place's lead and its ICS lead. Viewers
 * read what the place and the ICS made of them: the place return (the agreed positions, and
 * the spread of partners' levels as counts), moderation, decisions, plans and reports.
 */
export function canReadPartnerAnswers(user: CurrentUser, organisation: { id: number; placeId: number; icsId: number }): boolean {
  return canRespondFor(user, organisation.id) || canManagePlace(user, { id: organisation.placeId, icsId: organisation.icsId })
}

/** Every partner's answers in a place, side by side: for those who manage the place. */
export function canReadPlacePartnerAnswers(user: CurrentUser, place: { id: number; icsId: number }): boolean {
  return canManagePlace(user, place)
}

/** Only the organisation's own partner respondents answer for it. */
export function canRespondFor(user: CurrentUser, organisationId: number): boolean {
  return user.memberships.some((m) => m.role === 'partner' && m.organisationId === organisationId)
}

/** The places a user may manage, as ids, for filtering lists in SQL. */
export function managedPlaceIds(user: CurrentUser): number[] {
  return user.memberships.filter((m) => m.role === 'place_lead' && m.placeId !== null).map((m) => m.placeId!)
}

/**
 * Board reports. Until the ICS lead publishes a round's results its reports are drafts, for
 * the ICS's leads and the place's own place lead only (anyone else is told "not found"); once
 * published, whoever may read the place's results may download its report.
 */
export function canDownloadPlaceReport(user: CurrentUser, place: { id: number; icsId: number }, published: boolean): boolean {
  return published ? canViewPlace(user, place) : canManagePlace(user, place)
}

/** The system report covers every place of an ICS: for its ICS leads, and its ICS-wide viewers once published. */
export function canDownloadSystemReport(user: CurrentUser, icsId: number, published: boolean): boolean {
  return isIcsLead(user, icsId) || (published && icsIdsWithRole(user, 'viewer').includes(icsId))
}

/** Publishing a round's results (and so its reports) is the ICS lead's decision. */
export function canPublishResults(user: CurrentUser, icsId: number): boolean {
  return isIcsLead(user, icsId)
}

/** How much of an ICS's results a user may compare: every place, some places, or nothing. */
export type ResultsScope = { kind: 'ics' } | { kind: 'place'; placeIds: number[] } | undefined

/**
 * The dashboard's scope in an ICS: ICS leads and ICS-wide viewers see every place; place leads
 * and place viewers only their own places, compared with the ICS median, never another place.
 */
export function resultsScope(user: CurrentUser, icsId: number): ResultsScope {
  const inIcs = user.memberships.filter((m) => m.icsId === icsId)
  if (inIcs.some((m) => m.role === 'ics_lead' || (m.role === 'viewer' && m.placeId === null))) return { kind: 'ics' }
  const placeIds = [
    ...new Set(inIcs.filter((m) => (m.role === 'place_lead' || m.role === 'viewer') && m.placeId !== null).map((m) => m.placeId!)),
  ]
  return placeIds.length > 0 ? { kind: 'place', placeIds } : undefined
}
