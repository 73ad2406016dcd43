/**
 * The reference a partner gets when they submit, quoted in the confirmation e-mail and to the
 * ICS lead: "PR-0012-00345" – the round, then the organisation, so it is the same however
 * often the page is reloaded and unique within the service.
 */
export function responseReference(roundId: number, organisationId: number): string {
  return `PR-${String(roundId).padStart(4, '0')}-${String(organisationId).padStart(5, '0')}`
}
