import type { Knex } from 'knex'
import type { Database } from '../db/connection'
import { timestamp } from '../db/values'
import { FrameworkData, type CriterionRow } from '../data/frameworks'
import { medianFromCounts } from '../readiness/engine'
import { answerSubjectId } from '../services/auditService'
import { defaultFrameworkSlug, FrameworkService } from '../services/frameworkService'
import { ResultsReadModel } from '../results'
import { deadlineOn, formatMonthYear } from '../time/london'

/**
 * National-scale sample data for benches and load tests: every ICS in England with its
 * places, partner organisations, users and several rounds of answered self-assessments,
 * place returns, moderation, decisions and development plans. Deterministic (a seeded
 * PRNG), so two runs with the same options write the same data. Written in batches inside
 * one transaction: all of it or none.
 */

export interface NationalDataOptions {
  /** Integrated care systems (42). */
  icsCount?: number
  /** Places across all ICSs (200); each ICS gets at least one. */
  placeCount?: number
  /** Partner organisations across all places (2,000); each place gets at least one. */
  organisationCount?: number
  /** Rounds per ICS (3): the earlier ones closed and decided, the last one open. */
  roundsPerIcs?: number
  /** PRNG seed (1): another seed gives other levels, names and timings. */
  seed?: number
  /** Password hash (hashPassword) given to every generated user. */
  passwordHash: string
  /** Now, for the open round's dates (default: the current time). */
  now?: Date
}

export interface GeneratedIcs {
  id: number
  slug: string
  name: string
  places: number
  organisations: number
  icsLeadEmail: string
  viewerEmail: string
}

export interface NationalDataSummary {
  ics: GeneratedIcs[]
  /** The ICS with the most places. */
  largest: GeneratedIcs
  /** An ICS with 9 places (as Cheshire and Merseyside), or the one nearest to 9. */
  nineOrNearest: GeneratedIcs
  /** The open round of the largest ICS. */
  openRoundId: number
  /** A place of the largest ICS, its place lead, and one of its partners whose response in the open round is in progress. */
  sample: { placeId: number; placeLeadEmail: string; organisationId: number; partnerEmail: string }
  counts: Record<string, number>
}

export class NationalDataError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NationalDataError'
  }
}

/** The slug of the first generated ICS: its presence means the data is already there. */
export const firstGeneratedIcsSlug = 'generated-ics-01'
export const generatedEmailDomain = 'national.example.org'

const dayMs = 24 * 60 * 60 * 1000

/** mulberry32: a small, fast, seeded PRNG, good enough for sample data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Random = () => number
const pick = <T>(rng: Random, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!
const between = (rng: Random, low: number, high: number) => low + Math.floor(rng() * (high - low + 1))
const pad = (n: number, width: number) => String(n).padStart(width, '0')
const clampLevel = (level: number) => Math.min(4, Math.max(1, level))

/**
 * Places per ICS: the first ICS is the largest (7% of all places, as the largest ICSs have
 * about 14 of 200), the second has 9 (as Cheshire and Merseyside) when there are enough,
 * and the rest are spread at random, each smaller than the first.
 */
export function placesPerIcs(icsCount: number, placeCount: number, rng: Random): number[] {
  if (icsCount < 1 || placeCount < icsCount)
    throw new NationalDataError('Each ICS needs at least one place: give at least as many places as ICSs')
  const sizes = Array.from({ length: icsCount }, () => 1)
  let left = placeCount - icsCount
  // Big enough that the others, each smaller, can hold the rest.
  const fair = icsCount > 1 ? Math.ceil(placeCount / icsCount) + 1 : placeCount
  const largest = Math.min(1 + left, Math.max(fair, Math.round(placeCount * 0.07)))
  sizes[0] = largest
  left -= largest - 1
  let others = Array.from({ length: icsCount - 1 }, (_, i) => i + 1)
  if (icsCount > 2 && largest > 9 && left >= 8) {
    sizes[1] = 9
    left -= 8
    others = others.slice(1)
  }
  while (left > 0) {
    const candidates = others.filter((i) => sizes[i]! < largest - 1)
    const i = pick(rng, candidates.length > 0 ? candidates : others)
    sizes[i]!++
    left--
  }
  return sizes
}

/** Organisations per place: at least half the average each, the rest spread at random. */
export function organisationsPerPlace(placeCount: number, organisationCount: number, rng: Random): number[] {
  if (organisationCount < placeCount) throw new NationalDataError('Each place needs at least one partner organisation')
  const floor = Math.max(1, Math.floor(organisationCount / placeCount / 2))
  const sizes = Array.from({ length: placeCount }, () => floor)
  for (let left = organisationCount - floor * placeCount; left > 0; left--) sizes[Math.floor(rng() * placeCount)]!++
  return sizes
}

const organisationKinds = [
  ['council', 'Council'],
  ['icb_place', 'ICB place team'],
  ['acute_trust', 'Hospitals NHS Foundation Trust'],
  ['community_trust', 'Community Health NHS Trust'],
  ['mental_health_trust', 'Mental Health NHS Foundation Trust'],
  ['primary_care', 'Primary Care Network'],
  ['vcse', 'Voluntary Action'],
  ['healthwatch', 'Healthwatch'],
  ['social_care', 'Care Providers Association'],
] as const

const evidenceByDomain: Record<string, string[]> = {
  AV: [
    'Joint Health and Wellbeing Strategy approved by the Health and Wellbeing Board; place plan agreed by every partner.',
    'Shared priorities agreed at the partnership board; population health needs assessment published with the JSNA.',
    'Inequalities dashboard reviewed quarterly by the partnership board, with actions owned by named partners.',
  ],
  LC: [
    'Place leadership team meets monthly with every partner represented; joint development programme for senior leaders.',
    'Residents’ panel run with Healthwatch; engagement findings reported to each partnership board meeting.',
    'Shared values and behaviours agreed in a partnership charter; 360 feedback for the place leadership team.',
  ],
  DD: [
    'Section 75 pooled budget for community services; joint finance group reports to the partnership board.',
    'Integrated neighbourhood teams in four neighbourhoods; shared care record live across health and social care.',
    'Estates strategy agreed with the one public estate programme; digital inclusion plan funded for two years.',
  ],
  GV: [
    'Terms of reference for the partnership board agreed by every partner’s governing body; scheme of delegation drafted.',
    'Joint committee established with an agreed operating model; risk and gain share agreement in draft.',
    'Accountability framework agreed with the ICB; programme management office resourced by partners.',
  ],
}

const supportIdeas = [
  'Facilitated development sessions for the partnership board.',
  'Support from the ICB finance team to model pooled budget options.',
  'Population health analytics support to segment our population.',
  'Legal advice on the scheme of delegation and joint committee.',
]

/** 17:00 in London on the given calendar day (month from 0, as Date.UTC; day may run past the month's end). */
export function londonFivePm(year: number, month: number, day: number): Date {
  const date = new Date(Date.UTC(year, month, day))
  return deadlineOn({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() })
}

/**
 * Inserts rows in batches within every database's limits (bound values, SQLite's compound
 * SELECT), returning
 * the chosen columns of every row inserted (in one list).
 */
async function insertMany<T extends Record<string, unknown>>(
  trx: Knex.Transaction,
  table: string,
  rows: Array<Record<string, unknown>>,
  returning?: string[],
): Promise<T[]> {
  if (rows.length === 0) return []
  // SQLite turns a multi-row insert into a compound SELECT of at most 500 terms.
  const perBatch = Math.max(1, Math.min(500, Math.floor(8000 / Object.keys(rows[0]!).length)))
  const out: T[] = []
  for (let i = 0; i < rows.length; i += perBatch) {
    const batch = rows.slice(i, i + perBatch)
    if (returning) out.push(...((await trx(table).insert(batch, returning)) as T[]))
    else await trx(table).insert(batch)
  }
  return out
}

interface PlacePlan {
  icsIndex: number
  index: number
  name: string
  slug: string
  /** Each criterion's typical level in the first round; later rounds improve on it. */
  profile: number[]
  organisations: Array<{ name: string; kind: string; serial: number }>
}

/** Fills a migrated database with national-scale data; refuses if it is already there. */
export async function generateNationalData(db: Database, options: NationalDataOptions): Promise<NationalDataSummary> {
  const icsCount = options.icsCount ?? 42
  const placeCount = options.placeCount ?? 200
  const organisationCount = options.organisationCount ?? 2000
  const roundsPerIcs = options.roundsPerIcs ?? 3
  const now = options.now ?? new Date()
  const rng = seededRandom(options.seed ?? 1)
  if (icsCount > 99 || placeCount > 9999 || organisationCount > 99999)
    throw new NationalDataError('At most 99 ICSs, 9,999 places and 99,999 organisations')
  if (roundsPerIcs < 1) throw new NationalDataError('Each ICS needs at least one round')

  // Load the bundled frameworks if they are not yet (idempotent by content hash).
  await new FrameworkService(db).importBundled()
  const frameworks = new FrameworkData(db)
  const versionId = await frameworks.latestVersionId(defaultFrameworkSlug)
  if (versionId === undefined) throw new NationalDataError('The default framework is not loaded')
  const criteria = await frameworks.criteria(versionId)

  // Plan everything first, from the PRNG alone, so the data never depends on database ids.
  const icsSizes = placesPerIcs(icsCount, placeCount, rng)
  const organisationSizes = organisationsPerPlace(placeCount, organisationCount, rng)
  const places: PlacePlan[] = []
  let serial = 0
  icsSizes.forEach((size, icsIndex) => {
    for (let p = 0; p < size; p++) {
      const index = places.length
      const name = `Generated place ${pad(index + 1, 3)}`
      const organisations = Array.from({ length: organisationSizes[index]! }, (_, o) => {
        serial++
        const [kind, label] = o < 3 ? organisationKinds[o]! : pick(rng, organisationKinds)
        return { name: `${label} ${pad(serial, 4)}`, kind, serial }
      })
      // Places differ: some start ahead, most around Developing.
      const base = pick(rng, [1, 2, 2, 3, 3])
      places.push({
        icsIndex,
        index,
        name,
        slug: `generated-place-${pad(index + 1, 3)}`,
        profile: criteria.map(() => clampLevel(base + pick(rng, [-1, 0, 0, 1]))),
        organisations,
      })
    }
  })

  const rounds = Array.from({ length: roundsPerIcs }, (_, r) => {
    const open = r === roundsPerIcs - 1
    if (open) {
      const closes = londonFivePm(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 21)
      const month = formatMonthYear(closes)
      return { index: r, open, title: `Place development self-assessment, ${month}`, opens: new Date(now.getTime() - 14 * dayMs), closes }
    }
    const year = now.getUTCFullYear() - (roundsPerIcs - 1 - r)
    return {
      index: r,
      open,
      title: `Place development self-assessment, November ${year}`,
      opens: new Date(Date.UTC(year, 10, 1, 9)),
      closes: londonFivePm(year, 10, 30),
    }
  })

  const created = timestamp(new Date(rounds[0]!.opens.getTime() - 30 * dayMs))

  return db.transaction(async (trx) => {
    if (await trx('ics').where({ slug: firstGeneratedIcsSlug }).first('id')) {
      throw new NationalDataError('This database already holds the generated national data')
    }

    // ICSs, places, organisations.
    const icsRows = await insertMany<{ id: number; slug: string }>(
      trx,
      'ics',
      icsSizes.map((_, i) => ({
        name: `Generated ICS ${pad(i + 1, 2)}`,
        slug: `generated-ics-${pad(i + 1, 2)}`,
        is_demo: false,
        created_at: created,
      })),
      ['id', 'slug'],
    )
    const icsIds = icsSizes.map((_, i) => icsRows.find((r) => r.slug === `generated-ics-${pad(i + 1, 2)}`)!.id)
    const placeRows = await insertMany<{ id: number; slug: string }>(
      trx,
      'places',
      places.map((p) => ({ ics_id: icsIds[p.icsIndex], name: p.name, slug: p.slug, created_at: created })),
      ['id', 'slug'],
    )
    const placeIdBySlug = new Map(placeRows.map((r) => [r.slug, r.id]))
    const placeIds = places.map((p) => placeIdBySlug.get(p.slug)!)
    const organisationRows = await insertMany<{ id: number; name: string }>(
      trx,
      'organisations',
      places.flatMap((p) => p.organisations.map((o) => ({ place_id: placeIds[p.index], name: o.name, kind: o.kind, created_at: created }))),
      ['id', 'name'],
    )
    // Names carry a serial number unique across the whole generated set.
    const organisationIdByName = new Map(organisationRows.map((r) => [r.name, r.id]))

    // Users: an ICS lead and a board viewer per ICS, a place lead per place, a partner per organisation.
    const email = {
      icsLead: (i: number) => `ics.lead.${pad(i + 1, 2)}@${generatedEmailDomain}`,
      viewer: (i: number) => `board.viewer.${pad(i + 1, 2)}@${generatedEmailDomain}`,
      placeLead: (p: PlacePlan) => `place.lead.${pad(p.index + 1, 3)}@${generatedEmailDomain}`,
      partner: (o: { serial: number }) => `partner.${pad(o.serial, 4)}@${generatedEmailDomain}`,
    }
    type PlannedUser = {
      email: string
      name: string
      role: string
      icsIndex: number
      place?: PlacePlan
      organisation?: { name: string; serial: number }
    }
    const plannedUsers: PlannedUser[] = [
      ...icsSizes.flatMap((_, i) => [
        { email: email.icsLead(i), name: `ICS Lead ${pad(i + 1, 2)}`, role: 'ics_lead', icsIndex: i },
        { email: email.viewer(i), name: `Board Viewer ${pad(i + 1, 2)}`, role: 'viewer', icsIndex: i },
      ]),
      ...places.map((p) => ({
        email: email.placeLead(p),
        name: `Place Lead ${pad(p.index + 1, 3)}`,
        role: 'place_lead',
        icsIndex: p.icsIndex,
        place: p,
      })),
      ...places.flatMap((p) =>
        p.organisations.map((o) => ({
          email: email.partner(o),
          name: `Partner ${pad(o.serial, 4)}`,
          role: 'partner',
          icsIndex: p.icsIndex,
          place: p,
          organisation: o,
        })),
      ),
    ]
    const userRows = await insertMany<{ id: number; email: string }>(
      trx,
      'users',
      plannedUsers.map((u) => ({
        email: u.email,
        name: u.name,
        password_hash: options.passwordHash,
        is_active: true,
        created_at: created,
      })),
      ['id', 'email'],
    )
    const userIdByEmail = new Map(userRows.map((r) => [r.email, r.id]))
    const userId = (address: string) => userIdByEmail.get(address)!
    await insertMany(
      trx,
      'memberships',
      plannedUsers.map((u) => ({
        user_id: userId(u.email),
        role: u.role,
        ics_id: icsIds[u.icsIndex],
        place_id: u.place ? placeIds[u.place.index] : null,
        organisation_id: u.organisation ? organisationIdByName.get(u.organisation.name) : null,
        created_at: created,
      })),
    )

    // Everyone came in through an accepted invitation, whose e-mail went out.
    const invitedAt = new Date(rounds[0]!.opens.getTime() - 20 * dayMs)
    const inviterOf = (u: PlannedUser) =>
      u.role === 'partner' ? userId(email.placeLead(u.place!)) : u.role === 'ics_lead' ? null : userId(email.icsLead(u.icsIndex))
    const invitationRows = await insertMany<{ id: number; email: string }>(
      trx,
      'invitations',
      plannedUsers.map((u, i) => {
        const sent = timestamp(new Date(invitedAt.getTime() + i * 60_000))
        return {
          email: u.email,
          name: u.name,
          role: u.role,
          ics_id: icsIds[u.icsIndex],
          place_id: u.place ? placeIds[u.place.index] : null,
          organisation_id: u.organisation ? organisationIdByName.get(u.organisation.name) : null,
          invited_by: inviterOf(u),
          created_at: sent,
          last_sent_at: sent,
          accepted_at: timestamp(new Date(invitedAt.getTime() + i * 60_000 + 2 * dayMs)),
          accepted_user_id: userId(u.email),
          revoked_at: null,
        }
      }),
      ['id', 'email'],
    )
    const invitationIdByEmail = new Map(invitationRows.map((r) => [r.email, r.id]))

    const audit: Array<Record<string, unknown>> = []
    const outbox: Array<Record<string, unknown>> = []
    const event = (
      at: Date,
      kind: string,
      actor: number | null,
      icsIndex: number,
      subjectType: string,
      subjectId: string | number,
      details: Record<string, unknown>,
    ) =>
      audit.push({
        occurred_at: timestamp(at),
        actor_user_id: actor,
        ics_id: icsIds[icsIndex],
        kind,
        subject_type: subjectType,
        subject_id: String(subjectId),
        details: JSON.stringify(details),
        ip: null,
      })
    plannedUsers.forEach((u, i) => {
      const sent = new Date(invitedAt.getTime() + i * 60_000)
      const invitation = invitationIdByEmail.get(u.email)!
      event(sent, 'invitation.sent', inviterOf(u), u.icsIndex, 'invitation', invitation, { email: u.email, role: u.role })
      event(new Date(sent.getTime() + 2 * dayMs), 'invitation.accepted', userId(u.email), u.icsIndex, 'invitation', invitation, {
        email: u.email,
      })
      outbox.push({
        ics_id: icsIds[u.icsIndex],
        to_address: u.email,
        subject: 'You are invited to PlaceReady',
        text_body: `Dear ${u.name},\n\nYou have been invited to PlaceReady for Generated ICS ${pad(u.icsIndex + 1, 2)}.\n\nThe link in this message expires in 7 days.`,
        created_at: timestamp(sent),
        sent_at: timestamp(sent),
        last_error: null,
      })
    })

    // Rounds, each ICS's places taking part in all of them.
    const roundRows = await insertMany<{ id: number; ics_id: number; title: string }>(
      trx,
      'rounds',
      icsIds.flatMap((icsId) =>
        rounds.map((r) => ({
          ics_id: icsId,
          framework_version_id: versionId,
          title: r.title,
          opens_at: timestamp(r.opens),
          closes_at: timestamp(r.closes),
          created_at: timestamp(new Date(r.opens.getTime() - 7 * dayMs)),
        })),
      ),
      ['id', 'ics_id', 'title'],
    )
    const roundId = (icsIndex: number, r: number) =>
      roundRows.find((row) => row.ics_id === icsIds[icsIndex] && row.title === rounds[r]!.title)!.id
    const roundIds = icsIds.map((_, i) => rounds.map((_r, r) => roundId(i, r)))
    await insertMany(
      trx,
      'round_places',
      places.flatMap((p) => roundIds[p.icsIndex]!.map((id) => ({ round_id: id, place_id: placeIds[p.index] }))),
    )
    await trx('framework_versions').where({ id: versionId }).whereNull('locked_at').update({ locked_at: created })

    // Responses: every organisation answers every criterion in every round; all submitted
    // but about a quarter of the open round, which are still in progress.
    interface PlannedResponse {
      place: PlacePlan
      organisation: { name: string; serial: number }
      round: (typeof rounds)[number]
      submitted: boolean
      at: Date
      levels: Array<number | null>
    }
    const plannedResponses: PlannedResponse[] = []
    for (const place of places) {
      for (const round of rounds) {
        for (const organisation of place.organisations) {
          const levels = criteria.map((_, c) =>
            rng() < 0.04 ? null : clampLevel(place.profile[c]! + Math.floor(round.index * 0.7 + rng() * 0.6) + pick(rng, [0, 0, 0, 1, -1])),
          )
          const span = Math.max(dayMs, Math.min(now.getTime(), round.closes.getTime()) - round.opens.getTime())
          plannedResponses.push({
            place,
            organisation,
            round,
            submitted: !round.open || rng() >= 0.25,
            at: new Date(round.opens.getTime() + Math.floor(rng() * span * 0.9)),
            levels,
          })
        }
      }
    }
    const responseKey = (roundIdValue: number, organisationId: number) => `${roundIdValue}:${organisationId}`
    const responseRows = await insertMany<{ id: number; round_id: number; organisation_id: number }>(
      trx,
      'responses',
      plannedResponses.map((r) => {
        const id = roundIds[r.place.icsIndex]![r.round.index]!
        const organisationId = organisationIdByName.get(r.organisation.name)!
        const at = timestamp(r.at)
        const partner = userId(email.partner(r.organisation))
        return {
          round_id: id,
          organisation_id: organisationId,
          status: r.submitted ? 'submitted' : 'in_progress',
          version: criteria.length,
          submitted_at: r.submitted ? at : null,
          submitted_by: r.submitted ? partner : null,
          reference: r.submitted ? `PR-${pad(id, 4)}-${pad(organisationId, 5)}` : null,
          created_at: at,
          updated_at: at,
          updated_by: partner,
        }
      }),
      ['id', 'round_id', 'organisation_id'],
    )
    const responseIdByKey = new Map(responseRows.map((r) => [responseKey(r.round_id, r.organisation_id), r.id]))

    const answers: Array<Record<string, unknown>> = []
    const completions: Array<Record<string, unknown>> = []
    const domainCodes = [...new Set(criteria.map((c) => c.domainCode))]
    for (const r of plannedResponses) {
      const round = roundIds[r.place.icsIndex]![r.round.index]!
      const organisationId = organisationIdByName.get(r.organisation.name)!
      const responseId = responseIdByKey.get(responseKey(round, organisationId))!
      const partner = userId(email.partner(r.organisation))
      const at = timestamp(r.at)
      criteria.forEach((criterion, c) => {
        const level = r.levels[c]!
        const evidenceList = evidenceByDomain[criterion.domainCode] ?? evidenceByDomain.AV!
        const answer = {
          level,
          notSure: level === null,
          evidence: level === null ? null : level === 1 ? 'Early discussions only; nothing agreed yet.' : pick(rng, evidenceList),
          supportNeeded: level !== null && level <= 2 && rng() < 0.3 ? pick(rng, supportIdeas) : null,
          targetLevel: level !== null && level < 4 && rng() < 0.5 ? level + 1 : null,
        }
        answers.push({
          response_id: responseId,
          criterion_id: criterion.id,
          level: answer.level,
          not_sure: answer.notSure,
          evidence: answer.evidence,
          support_needed: answer.supportNeeded,
          target_level: answer.targetLevel,
          updated_at: at,
          updated_by: partner,
          version: 1,
        })
        event(r.at, 'answer.changed', partner, r.place.icsIndex, 'answer', answerSubjectId(responseId, criterion.code), {
          round,
          organisation: r.organisation.name,
          criterion: criterion.code,
          old: null,
          new: answer,
        })
      })
      for (const domain of domainCodes)
        completions.push({ response_id: responseId, domain_code: domain, completed_at: at, completed_by: partner })
      if (r.submitted) {
        const reference = `PR-${pad(round, 4)}-${pad(organisationId, 5)}`
        event(r.at, 'response.submitted', partner, r.place.icsIndex, 'response', responseId, {
          reference,
          organisation: r.organisation.name,
        })
        outbox.push({
          ics_id: icsIds[r.place.icsIndex],
          to_address: email.partner(r.organisation),
          subject: `Submitted: ${r.organisation.name} self-assessment, reference ${reference}`,
          text_body: `You submitted ${r.organisation.name}’s self-assessment for "${r.round.title}" (${r.place.name}).\n\nReference: ${reference}`,
          created_at: at,
          sent_at: at,
          last_error: null,
        })
      }
    }
    await insertMany(trx, 'answers', answers)
    await insertMany(trx, 'response_domains', completions)

    // Place returns: every place agreed, submitted and was assured in each closed round; in the
    // open round some places have submitted, some have started and the rest not yet.
    const submittedLevels = new Map<string, Array<Array<number | null>>>()
    for (const r of plannedResponses) {
      if (!r.submitted) continue
      const key = `${r.place.index}:${r.round.index}`
      submittedLevels.set(key, [...(submittedLevels.get(key) ?? []), r.levels])
    }
    interface PlannedReturn {
      place: PlacePlan
      round: (typeof rounds)[number]
      status: 'draft' | 'submitted'
      positions: Array<{ criterion: CriterionRow; level: number | null }>
      moderated?: { criterion: CriterionRow; level: number }
      at: Date
    }
    const plannedReturns: PlannedReturn[] = []
    for (const place of places) {
      for (const round of rounds) {
        const state = round.open ? pick(rng, ['none', 'none', 'draft', 'draft', 'submitted'] as const) : 'submitted'
        if (state === 'none') continue
        const answered = submittedLevels.get(`${place.index}:${round.index}`) ?? []
        const positions = criteria
          .map((criterion, c) => ({ criterion, level: median(answered.map((levels) => levels[c]!)) }))
          .filter((p) => state === 'submitted' || p.criterion.domainCode === criteria[0]!.domainCode)
        const at = round.open ? new Date(now.getTime() - between(rng, 1, 5) * dayMs) : new Date(round.closes.getTime() + 7 * dayMs)
        const moderatedAt = positions.filter((p) => p.level !== null && p.level > 1)
        const moderated = !round.open && rng() < 0.2 && moderatedAt.length > 0 ? pick(rng, moderatedAt) : undefined
        plannedReturns.push({
          place,
          round,
          status: state,
          positions,
          at,
          ...(moderated ? { moderated: { criterion: moderated.criterion, level: moderated.level! - 1 } } : {}),
        })
      }
    }
    const returnRows = await insertMany<{ id: number; round_id: number; place_id: number }>(
      trx,
      'place_returns',
      plannedReturns.map((pr) => ({
        round_id: roundIds[pr.place.icsIndex]![pr.round.index],
        place_id: placeIds[pr.place.index],
        status: pr.status,
        submitted_at: pr.status === 'submitted' ? timestamp(pr.at) : null,
        submitted_by: pr.status === 'submitted' ? userId(email.placeLead(pr.place)) : null,
        created_at: timestamp(pr.at),
        updated_at: timestamp(pr.at),
      })),
      ['id', 'round_id', 'place_id'],
    )
    const returnIdByKey = new Map(returnRows.map((r) => [`${r.round_id}:${r.place_id}`, r.id]))
    const positions: Array<Record<string, unknown>> = []
    const moderations: Array<Record<string, unknown>> = []
    const decisions: Array<Record<string, unknown>> = []
    const actions: Array<Record<string, unknown>> = []
    for (const pr of plannedReturns) {
      const round = roundIds[pr.place.icsIndex]![pr.round.index]!
      const placeId = placeIds[pr.place.index]!
      const returnId = returnIdByKey.get(`${round}:${placeId}`)!
      const placeLead = userId(email.placeLead(pr.place))
      const icsLead = userId(email.icsLead(pr.place.icsIndex))
      for (const p of pr.positions) {
        const evidenceSummary =
          p.level !== null && p.level >= 2
            ? `Evidence from partners’ returns for ${p.criterion.code}, reviewed by the place development group.`
            : null
        positions.push({
          place_return_id: returnId,
          criterion_id: p.criterion.id,
          level: p.level,
          not_sure: p.level === null,
          rationale: 'Agreed at the place development group after reviewing every partner’s answer.',
          evidence_summary: evidenceSummary,
          updated_at: timestamp(pr.at),
          updated_by: placeLead,
        })
        event(pr.at, 'position.agreed', placeLead, pr.place.icsIndex, 'place-return', returnId, {
          criterion: p.criterion.code,
          level: p.level,
        })
      }
      if (pr.status === 'submitted') event(pr.at, 'place-return.submitted', placeLead, pr.place.icsIndex, 'place-return', returnId, {})
      if (pr.round.open) continue
      const decidedAt = new Date(pr.round.closes.getTime() + 30 * dayMs)
      if (pr.moderated) {
        moderations.push({
          place_return_id: returnId,
          criterion_id: pr.moderated.criterion.id,
          level: pr.moderated.level,
          comment: 'Evidence shows the arrangements are agreed in principle but not yet operating.',
          moderated_at: timestamp(decidedAt),
          moderated_by: icsLead,
        })
        event(decidedAt, 'criterion.moderated', icsLead, pr.place.icsIndex, 'place-return', returnId, {
          criterion: pr.moderated.criterion.code,
          level: pr.moderated.level,
        })
      }
    }
    await insertMany(trx, 'place_positions', positions)
    await insertMany(trx, 'moderations', moderations)

    // Each decision records the recommendation the results read model gives for what was just written.
    const closedRoundIds = [
      ...new Set(plannedReturns.filter((pr) => !pr.round.open).map((pr) => roundIds[pr.place.icsIndex]![pr.round.index]!)),
    ]
    const readinessOf = new Map(
      (await new ResultsReadModel(trx, () => now).rounds(closedRoundIds)).flatMap((r) =>
        r.places.map((p) => [`${r.round.id}:${p.place.id}`, p.readiness] as const),
      ),
    )
    for (const pr of plannedReturns) {
      if (pr.round.open) continue
      const round = roundIds[pr.place.icsIndex]![pr.round.index]!
      const placeId = placeIds[pr.place.index]!
      const icsLead = userId(email.icsLead(pr.place.icsIndex))
      const decidedAt = new Date(pr.round.closes.getTime() + 30 * dayMs)
      const readiness = readinessOf.get(`${round}:${placeId}`)!
      const differs = rng() < 0.1
      const decided = differs ? (readiness.level < 3 ? readiness.level + 1 : readiness.level - 1) : readiness.level
      decisions.push({
        round_id: round,
        place_id: placeId,
        recommended_level: readiness.level,
        decided_level: decided,
        rationale: `The ICB considered ${pr.place.name}’s self-assessment and agreed a targeted development plan.`,
        difference_reason: differs ? 'The ICB took account of arrangements the self-assessment does not yet show.' : null,
        decided_on: timestamp(decidedAt).slice(0, 10),
        deciding_body: 'ICB Board',
        recommendation_snapshot: JSON.stringify(readiness.explanation),
        recorded_by: icsLead,
        recorded_at: timestamp(decidedAt),
      })
      event(decidedAt, 'decision.recorded', icsLead, pr.place.icsIndex, 'place', placeId, { round, recommended: readiness.level, decided })
      const latestClosed = pr.round.index === roundsPerIcs - 2
      readiness.unmet.slice(0, 3).forEach((code, i) => {
        const criterion = criteria.find((c) => c.code === code)!
        actions.push({
          place_id: placeId,
          round_id: round,
          criterion_code: code,
          description: `Develop ${criterion.title.toLowerCase()} to Maturing: agree the arrangements with all partners and gather the evidence.`,
          owner_organisation_id: organisationIdByName.get(pr.place.organisations[i % pr.place.organisations.length]!.name),
          due_date: timestamp(new Date(decidedAt.getTime() + (120 + 90 * i) * dayMs)).slice(0, 10),
          status: latestClosed ? (['in_progress', 'not_started', 'not_started'] as const)[i] : 'done',
          created_at: timestamp(decidedAt),
          created_by: icsLead,
          updated_at: timestamp(decidedAt),
          updated_by: icsLead,
        })
        event(decidedAt, 'action.created', icsLead, pr.place.icsIndex, 'place', placeId, { criterion: code })
      })
    }
    await insertMany(trx, 'delegation_decisions', decisions)
    await insertMany(trx, 'development_actions', actions)
    // Oldest first, as they happened.
    audit.sort((a, b) => (a.occurred_at as string).localeCompare(b.occurred_at as string))
    await insertMany(trx, 'audit_events', audit)
    await insertMany(trx, 'outbox', outbox)

    const ics: GeneratedIcs[] = icsSizes.map((size, i) => ({
      id: icsIds[i]!,
      slug: `generated-ics-${pad(i + 1, 2)}`,
      name: `Generated ICS ${pad(i + 1, 2)}`,
      places: size,
      organisations: places.filter((p) => p.icsIndex === i).reduce((sum, p) => sum + p.organisations.length, 0),
      icsLeadEmail: email.icsLead(i),
      viewerEmail: email.viewer(i),
    }))
    const largest = ics.reduce((a, b) => (b.places > a.places ? b : a))
    const nineOrNearest = ics.reduce((a, b) => (Math.abs(b.places - 9) < Math.abs(a.places - 9) ? b : a))
    const largestIndex = ics.indexOf(largest)
    const openRound = rounds[rounds.length - 1]!
    const inProgress =
      plannedResponses.find((r) => r.place.icsIndex === largestIndex && r.round === openRound && !r.submitted) ??
      plannedResponses.find((r) => r.place.icsIndex === largestIndex && r.round === openRound)!
    return {
      ics,
      largest,
      nineOrNearest,
      openRoundId: roundIds[largestIndex]![openRound.index]!,
      sample: {
        placeId: placeIds[inProgress.place.index]!,
        placeLeadEmail: email.placeLead(inProgress.place),
        organisationId: organisationIdByName.get(inProgress.organisation.name)!,
        partnerEmail: email.partner(inProgress.organisation),
      },
      counts: {
        ics: icsCount,
        places: places.length,
        organisations: serial,
        users: plannedUsers.length,
        rounds: roundRows.length,
        responses: plannedResponses.length,
        answers: answers.length,
        placeReturns: plannedReturns.length,
        positions: positions.length,
        moderations: moderations.length,
        decisions: decisions.length,
        developmentActions: actions.length,
        auditEvents: audit.length,
        outbox: outbox.length,
      },
    }
  })
}

/** The partners' median (not-sure answers left out), rounded down, as the engine computes it. */
function median(levels: Array<number | null>): number | null {
  const counts: Record<number, number> = {}
  for (const level of levels) if (level !== null) counts[level] = (counts[level] ?? 0) + 1
  return medianFromCounts(counts)
}
