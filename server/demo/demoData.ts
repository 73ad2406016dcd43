/**
 * The demo ICS: Cheshire and Merseyside's nine places with realistic partner organisations.
 * Everything here is illustrative sample data, clearly marked as a demo in the service.
 */
import type { OrganisationKind } from '../organisations/kinds'

export type { OrganisationKind } from '../organisations/kinds'

export interface DemoOrganisation {
  name: string
  kind: OrganisationKind
}

export interface DemoPlace {
  name: string
  slug: string
  organisations: DemoOrganisation[]
  /**
   * The typical level of each of the 16 criteria (AV1..GV5, in framework order) in the
   * current round, chosen so that places reach different readiness outcomes.
   */
  currentProfile: number[]
  /** How many levels lower each criterion stood at the October 2021 baseline. */
  baselineGap: number[]
}

export const demoIcs = {
  name: 'Cheshire and Merseyside (demo)',
  slug: 'cheshire-and-merseyside-demo',
}

const icb = (place: string): DemoOrganisation => ({ name: `NHS Cheshire and Merseyside ICB – ${place} place team`, kind: 'icb_place' })

//                        AV1 AV2 AV3 LC1 LC2 LC3 LC4 DD1 DD2 DD3 DD4 GV1 GV2 GV3 GV4 GV5
export const demoPlaces: DemoPlace[] = [
  {
    name: 'Cheshire East',
    slug: 'cheshire-east',
    organisations: [
      { name: 'Cheshire East Council', kind: 'council' },
      icb('Cheshire East'),
      { name: 'Mid Cheshire Hospitals NHS Foundation Trust', kind: 'acute_trust' },
      { name: 'East Cheshire NHS Trust', kind: 'community_trust' },
      { name: 'Cheshire and Wirral Partnership NHS Foundation Trust (Cheshire East)', kind: 'mental_health_trust' },
      { name: 'Cheshire East primary care networks', kind: 'primary_care' },
      { name: 'Cheshire East voluntary sector alliance', kind: 'vcse' },
      { name: 'Healthwatch Cheshire East', kind: 'healthwatch' },
    ],
    currentProfile: [3, 3, 2, 3, 3, 2, 3, 2, 3, 2, 2, 3, 3, 3, 2, 2],
    baselineGap: [1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0],
  },
  {
    name: 'Cheshire West and Chester',
    slug: 'cheshire-west-and-chester',
    organisations: [
      { name: 'Cheshire West and Chester Council', kind: 'council' },
      icb('Cheshire West'),
      { name: 'Countess of Chester Hospital NHS Foundation Trust', kind: 'acute_trust' },
      { name: 'Cheshire and Wirral Partnership NHS Foundation Trust (Cheshire West)', kind: 'mental_health_trust' },
      { name: 'Cheshire West primary care networks', kind: 'primary_care' },
      { name: 'Cheshire West voluntary action', kind: 'vcse' },
    ],
    currentProfile: [3, 3, 3, 3, 3, 3, 2, 2, 3, 2, 2, 2, 3, 2, 3, 2],
    baselineGap: [1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0],
  },
  {
    name: 'Halton',
    slug: 'halton',
    organisations: [
      { name: 'Halton Borough Council', kind: 'council' },
      icb('Halton'),
      { name: 'Warrington and Halton Teaching Hospitals NHS Foundation Trust (Halton)', kind: 'acute_trust' },
      { name: 'Bridgewater Community Healthcare NHS Foundation Trust (Halton)', kind: 'community_trust' },
      { name: 'Halton primary care networks', kind: 'primary_care' },
      { name: 'Healthwatch Halton', kind: 'healthwatch' },
    ],
    currentProfile: [2, 2, 2, 2, 3, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 1],
    baselineGap: [1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0],
  },
  {
    name: 'Knowsley',
    slug: 'knowsley',
    organisations: [
      { name: 'Knowsley Metropolitan Borough Council', kind: 'council' },
      icb('Knowsley'),
      { name: 'Mersey and West Lancashire Teaching Hospitals NHS Trust (Knowsley)', kind: 'acute_trust' },
      { name: 'Mersey Care NHS Foundation Trust (Knowsley)', kind: 'mental_health_trust' },
      { name: 'Knowsley primary care networks', kind: 'primary_care' },
      { name: 'Knowsley Community and Voluntary Services', kind: 'vcse' },
      { name: 'Healthwatch Knowsley', kind: 'healthwatch' },
    ],
    // Strong culture and vision, but the financial framework (a gateway) is still emerging.
    currentProfile: [3, 3, 3, 3, 4, 3, 3, 1, 3, 3, 2, 3, 3, 3, 3, 2],
    baselineGap: [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1],
  },
  {
    name: 'Liverpool',
    slug: 'liverpool',
    organisations: [
      { name: 'Liverpool City Council', kind: 'council' },
      icb('Liverpool'),
      { name: 'Liverpool University Hospitals NHS Foundation Trust', kind: 'acute_trust' },
      { name: 'Mersey Care NHS Foundation Trust (Liverpool)', kind: 'mental_health_trust' },
      { name: 'Liverpool primary care networks', kind: 'primary_care' },
      { name: 'Liverpool Charity and Voluntary Services', kind: 'vcse' },
      { name: 'Healthwatch Liverpool', kind: 'healthwatch' },
      { name: 'Liverpool social care providers forum', kind: 'social_care' },
    ],
    currentProfile: [4, 4, 3, 4, 4, 3, 3, 3, 4, 3, 3, 4, 4, 4, 3, 3],
    baselineGap: [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  },
  {
    name: 'Sefton',
    slug: 'sefton',
    organisations: [
      { name: 'Sefton Council', kind: 'council' },
      icb('Sefton'),
      { name: 'Mersey and West Lancashire Teaching Hospitals NHS Trust (Sefton)', kind: 'acute_trust' },
      { name: 'Mersey Care NHS Foundation Trust (Sefton)', kind: 'mental_health_trust' },
      { name: 'Sefton primary care networks', kind: 'primary_care' },
      { name: 'Sefton Council for Voluntary Service', kind: 'vcse' },
      { name: 'Healthwatch Sefton', kind: 'healthwatch' },
    ],
    currentProfile: [3, 3, 3, 3, 3, 3, 3, 2, 3, 2, 2, 3, 3, 2, 2, 2],
    baselineGap: [0, 1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0],
  },
  {
    name: 'St Helens',
    slug: 'st-helens',
    organisations: [
      { name: 'St Helens Borough Council', kind: 'council' },
      icb('St Helens'),
      { name: 'Mersey and West Lancashire Teaching Hospitals NHS Trust (St Helens)', kind: 'acute_trust' },
      { name: 'Mersey Care NHS Foundation Trust (St Helens)', kind: 'mental_health_trust' },
      { name: 'St Helens primary care networks', kind: 'primary_care' },
      { name: 'Healthwatch St Helens', kind: 'healthwatch' },
    ],
    currentProfile: [4, 3, 3, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
    baselineGap: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  },
  {
    name: 'Warrington',
    slug: 'warrington',
    organisations: [
      { name: 'Warrington Borough Council', kind: 'council' },
      icb('Warrington'),
      { name: 'Warrington and Halton Teaching Hospitals NHS Foundation Trust (Warrington)', kind: 'acute_trust' },
      { name: 'Bridgewater Community Healthcare NHS Foundation Trust (Warrington)', kind: 'community_trust' },
      { name: 'Warrington primary care networks', kind: 'primary_care' },
    ],
    currentProfile: [2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 1, 1, 2, 2, 2, 1],
    baselineGap: [1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0],
  },
  {
    name: 'Wirral',
    slug: 'wirral',
    organisations: [
      { name: 'Wirral Council', kind: 'council' },
      icb('Wirral'),
      { name: 'Wirral University Teaching Hospital NHS Foundation Trust', kind: 'acute_trust' },
      { name: 'Wirral Community Health and Care NHS Foundation Trust', kind: 'community_trust' },
      { name: 'Cheshire and Wirral Partnership NHS Foundation Trust (Wirral)', kind: 'mental_health_trust' },
      { name: 'Wirral primary care networks', kind: 'primary_care' },
      { name: 'Voluntary and Community Action Wirral', kind: 'vcse' },
      { name: 'Healthwatch Wirral', kind: 'healthwatch' },
    ],
    currentProfile: [3, 3, 3, 3, 3, 2, 3, 2, 3, 2, 2, 3, 3, 3, 2, 2],
    baselineGap: [1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1],
  },
]

export interface DemoUser {
  email: string
  name: string
  role: 'ics_lead' | 'place_lead' | 'partner' | 'viewer'
  placeSlug?: string
  organisationName?: string
}

export const demoUsers: DemoUser[] = [
  { email: 'ics.lead@example.org', name: 'Morgan Ellis', role: 'ics_lead' },
  { email: 'place.lead.wirral@example.org', name: 'Priya Shah', role: 'place_lead', placeSlug: 'wirral' },
  {
    email: 'partner.wirral.council@example.org',
    name: 'Sam Taylor',
    role: 'partner',
    placeSlug: 'wirral',
    organisationName: 'Wirral Council',
  },
  { email: 'board.viewer@example.org', name: 'Alex Morgan', role: 'viewer' },
]

/** Evidence partners typically cite, by domain, so demo answers read like real returns. */
export const evidenceByDomain: Record<string, string[]> = {
  AV: [
    'Joint health and wellbeing strategy refreshed and approved by the Health and Wellbeing Board; place plan priorities mapped to it.',
    'Shared vision agreed at the partnership board away day; partners’ boards have each endorsed it.',
    'Population health intelligence pack (JSNA and primary care data) used to set three priorities for reducing inequalities.',
  ],
  LC: [
    'Place lead jointly appointed by the ICB and council; clinical and care professional leadership group meets monthly.',
    'Partnership board membership includes VCSE, Healthwatch and PCN clinical directors, with equal voting rights.',
    'Joint organisational development programme for senior leaders; residents’ panel feeds into each board meeting.',
  ],
  DD: [
    'Section 75 pooled budget for community services; draft joint financial plan shared with partners’ finance directors.',
    'Integrated neighbourhood teams live in four of six neighbourhoods; shared care record used by GP practices and the council.',
    'Estates review of community buildings completed with the council’s asset team; digital strategy agreed.',
  ],
  GV: [
    'Terms of reference for the place partnership board and its sub-groups agreed by all partners.',
    'Draft scheme of delegation with the ICB; joint committee arrangements approved by the council’s cabinet.',
    'Risk and gain share principles agreed; programme office funded jointly by the ICB and the council.',
  ],
}
