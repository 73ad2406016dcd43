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
