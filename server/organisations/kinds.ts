/**
 * The kinds of partner organisation a place-based partnership has. The codes are stored; the
 * labels are what people see and type (a CSV import accepts either, in any case).
 */
export const organisationKinds = [
  'council',
  'icb_place',
  'acute_trust',
  'community_trust',
  'mental_health_trust',
  'primary_care',
  'vcse',
  'healthwatch',
  'social_care',
  'other',
] as const

export type OrganisationKind = (typeof organisationKinds)[number]

export const organisationKindLabels: Record<OrganisationKind, string> = {
  council: 'Local authority',
  icb_place: 'ICB place team',
  acute_trust: 'Acute trust',
  community_trust: 'Community trust',
  mental_health_trust: 'Mental health trust',
  primary_care: 'Primary care network',
  vcse: 'VCSE',
  healthwatch: 'Healthwatch',
  social_care: 'Social care provider',
  other: 'Other',
}

/** Other ways people write the same kinds, lower-cased. */
const aliases: Record<string, OrganisationKind> = {
  'local authority': 'council',
  council: 'council',
  'icb place team': 'icb_place',
  icb: 'icb_place',
  'integrated care board': 'icb_place',
  'integrated care board (place team)': 'icb_place',
  'community health trust': 'community_trust',
  pcn: 'primary_care',
  'primary care': 'primary_care',
  'voluntary, community and social enterprise': 'vcse',
  'voluntary community and social enterprise': 'vcse',
}

/** The kind a person meant by a label, code or common alias; undefined when it is none of them. */
export function parseOrganisationKind(text: string): OrganisationKind | undefined {
  const key = text.trim().toLowerCase().replace(/\s+/g, ' ')
  if (key === '') return undefined
  const byCode = organisationKinds.find((kind) => kind === key.replace(/[ -]/g, '_'))
  if (byCode) return byCode
  const byLabel = organisationKinds.find((kind) => organisationKindLabels[kind].toLowerCase() === key)
  return byLabel ?? aliases[key]
}

export function organisationKindLabel(kind: string): string {
  return (organisationKindLabels as Record<string, string>)[kind] ?? kind
}
