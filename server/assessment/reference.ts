/** The reference a partner is given when they submit: the round and the organisation, fixed-width. */
export function responseReference(roundId: number, organisationId: number): string {
  return `PR-${String(roundId).padStart(4, '0')}-${String(organisationId).padStart(5, '0')}`
}
