import type { CurrentUser } from './types'

/** Who is calling the JSON API: a token of one ICS, which is then the whole of what it may read. */
export interface ApiClient {
  tokenId: number
  icsId: number
  tokenName: string
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the API's token check (server/api/auth.ts) on requests under /api/v1/. */
    apiClient?: ApiClient
  }
}

/** The prefix of every secret PlaceReady makes, so a leaked one is recognisable (secret scanners). */
export const apiTokenPrefix = 'placeready_'

/**
 * An API token reads what an ICS lead of its ICS may read, and nothing else: as a person, for the
 * services whose access checks (server/auth/access.ts) are written for people, such as reports.
 * It holds no other role and no user id, so nothing it does can be taken for a person's act.
 */
export function tokenReader(client: ApiClient): CurrentUser {
  return {
    id: 0,
    email: '',
    name: `API token “${client.tokenName}”`,
    memberships: [
      {
        id: 0,
        role: 'ics_lead',
        icsId: client.icsId,
        icsName: '',
        placeId: null,
        placeName: null,
        organisationId: null,
        organisationName: null,
      },
    ],
  }
}
