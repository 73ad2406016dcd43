import type { Knex } from 'knex'
import { responseReference } from '../assessment/reference'
import type { Database } from '../db/connection'
import { FrameworkData } from '../data/frameworks'
import { timestamp } from '../db/values'
import { defaultFrameworkSlug } from '../services/frameworkService'
import { deadlineOn, formatMonthYear, londonDateOf, londonTime } from '../time/london'
import { demoIcs, demoPlaces, demoUsers, evidenceByDomain, type DemoPlace } from './demoData'
import { createUpcomingRound, seedAdministration } from './seedAdministration'
import { seedAssurance } from './seedAssurance'
import { publishDemoBaseline } from './seedPublication'

export const baselineRoundTitle = 'Place development self-assessment, October 2021'

export interface DemoSeedOptions {
  now: Date
  /** Argon2 hash of the demo password, set on every demo user at each start. */
  passwordHash?: string
}

export interface DemoSeedResult {
  seeded: boolean
  reason?: string
}

/** A small, stable string hash (FNV-1a) so sample answers are the same on every machine. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

const supportIdeas = [
  'Facilitated development sessions for the partnership board.',
  'Support from the ICB finance team to model pooled budget options.',
  'Population health analytics support to segment our population.',
  'Legal advice on the scheme of delegation and joint committee.',
  'Help to set up a residents’ panel with Healthwatch.',
]

const dayMs = 24 * 60 * 60 * 1000

/** The baseline round closed at the end of 29 October 2021: 17:00 London time (BST, so 16:00 UTC). */
const baselineDeadline = deadlineOn({ year: 2021, month: 10, day: 29 })

/**
 * Whether the demo should be (re)applied: only on an empty database or one that already
 * holds the demo ICS, never on a database with someone's real data in it.
 */
async function demoAllowed(trx: Knex.Transaction): Promise<boolean> {
  const anyIcs = (await trx('ics').first('id')) as { id: number } | undefined
  if (!anyIcs) return true
  return (await trx('ics').where({ slug: demoIcs.slug }).first('id')) !== undefined
}

async function ensureRow(
  trx: Knex.Transaction,
  table: string,
  match: Record<string, unknown>,
  values: Record<string, unknown> = {},
): Promise<number> {
  const existing = (await trx(table).where(match).first('id')) as { id: number } | undefined
  if (existing) return existing.id
  const [row] = (await trx(table).insert({ ...match, ...values }, ['id'])) as Array<{ id: number }>
  return row!.id
}

/**
 * Seeds the demo ICS, idempotently: each part is added only if it is missing, so a second
 * start adds nothing and a newer release can add the parts the demo has grown since.
 */
export async function seedDemo(db: Database, options: DemoSeedOptions): Promise<DemoSeedResult> {
  const frameworkData = new FrameworkData(db)
  const versionId = await frameworkData.latestVersionId(defaultFrameworkSlug)
  if (versionId === undefined) return { seeded: false, reason: 'the default framework is not loaded' }
  const criteria = await frameworkData.criteria(versionId)
  const now = options.now
  const created = timestamp(now)

  const result = await db.transaction(async (trx) => {
    if (!(await demoAllowed(trx))) return { seeded: false, reason: 'the database already holds a non-demo ICS' }

    const icsId = await ensureRow(trx, 'ics', { slug: demoIcs.slug }, { name: demoIcs.name, is_demo: true, created_at: created })
    const placeIds = new Map<string, number>()
    const organisationIds = new Map<string, number[]>()
    for (const place of demoPlaces) {
      const placeId = await ensureRow(trx, 'places', { ics_id: icsId, slug: place.slug }, { name: place.name, created_at: created })
      placeIds.set(place.slug, placeId)
      const ids: number[] = []
      for (const organisation of place.organisations) {
        ids.push(
          await ensureRow(
            trx,
            'organisations',
            { place_id: placeId, name: organisation.name },
            { kind: organisation.kind, created_at: created },
          ),
        )
      }
      organisationIds.set(place.slug, ids)
    }

    const userIds = new Map<string, number>()
    for (const user of demoUsers) {
      const userId = await ensureRow(trx, 'users', { email: user.email }, { name: user.name, is_active: true, created_at: created })
      userIds.set(user.email, userId)
      if (options.passwordHash) {
        await trx('users').where({ id: userId }).update({ password_hash: options.passwordHash })
      }
      const placeId = user.placeSlug ? (placeIds.get(user.placeSlug) ?? null) : null
      const organisationId = user.organisationName
        ? ((await trx('organisations').where({ place_id: placeId, name: user.organisationName }).first('id')) as { id: number }).id
        : null
      const membership = { user_id: userId, role: user.role, ics_id: icsId, place_id: placeId, organisation_id: organisationId }
      const exists = await trx('memberships')
        .where({ user_id: userId, role: user.role, ics_id: icsId })
        .where((q) => {
          if (placeId === null) q.whereNull('place_id')
          else q.where('place_id', placeId)
        })
        .where((q) => {
          if (organisationId === null) q.whereNull('organisation_id')
          else q.where('organisation_id', organisationId)
        })
        .first('id')
      if (!exists) await trx('memberships').insert({ ...membership, created_at: created })
    }

    const existingRounds = (await trx('rounds').where({ ics_id: icsId }).select('id', 'title')) as Array<{ id: number; title: string }>
    const partnerUserId = userIds.get('partner.wirral.council@example.org') ?? null

    // Demos seeded before deadlines were London time closed the baseline at 18:00 UK time.
    await trx('rounds')
      .where({ ics_id: icsId, title: baselineRoundTitle, closes_at: timestamp(new Date('2021-10-29T17:00:00Z')) })
      .update({ closes_at: timestamp(baselineDeadline) })

    if (!existingRounds.some((r) => r.title === baselineRoundTitle)) {
      const roundId = await createRound(
        trx,
        icsId,
        versionId,
        baselineRoundTitle,
        londonTime({ year: 2021, month: 10, day: 1 }, 9),
        baselineDeadline,
        placeIds,
        created,
      )
      for (const place of demoPlaces) {
        const ids = organisationIds.get(place.slug) ?? []
        for (const [index, organisationId] of ids.entries()) {
          const submittedAt = new Date(Date.UTC(2021, 9, 18 + (stableHash(`${place.slug}${index}`) % 11), 10 + index))
          await insertResponse(trx, {
            roundId,
            organisationId,
            status: 'submitted',
            answerCount: criteria.length,
            levels: levelsFor(place, index, 'baseline'),
            at: submittedAt,
            submittedBy: null,
            seed: `baseline:${place.slug}:${index}`,
          })
        }
      }
    }

    if (!existingRounds.some((r) => r.title !== baselineRoundTitle)) {
      const closes = deadlineOn(londonDateOf(new Date(now.getTime() + 21 * dayMs)))
      const opens = new Date(now.getTime() - 14 * dayMs)
      const title = `Place development self-assessment, ${formatMonthYear(closes)}`
      // The next round, set up early, goes in first so that the current round stays the newest by id.
      await createUpcomingRound(trx, icsId, versionId, now)
      const roundId = await createRound(trx, icsId, versionId, title, opens, closes, placeIds, created)
      for (const place of demoPlaces) {
        const ids = organisationIds.get(place.slug) ?? []
        for (const [index, organisationId] of ids.entries()) {
          const state = currentRoundState(place, index)
          if (state.status === 'not_started') continue
          await insertResponse(trx, {
            roundId,
            organisationId,
            status: state.status,
            answerCount: state.status === 'submitted' ? criteria.length : state.answered,
            levels: levelsFor(place, index, 'current'),
            at: new Date(now.getTime() - (1 + (stableHash(`${place.slug}${index}now`) % 12)) * dayMs),
            submittedBy: place.slug === 'wirral' && index === 0 ? partnerUserId : null,
            seed: `current:${place.slug}:${index}`,
          })
        }
      }
    }
    return { seeded: true }
  })
  if (result.seeded) {
    await seedAssurance(db, baselineRoundTitle, now)
    await seedAdministration(db, now)
  }
  await publishDemoBaseline(db, baselineRoundTitle)
  return result

  async function insertResponse(
    trx: Knex.Transaction,
    r: {
      roundId: number
      organisationId: number
      status: 'submitted' | 'in_progress'
      answerCount: number
      levels: number[]
      at: Date
      submittedBy: number | null
      seed: string
    },
  ): Promise<void> {
    const exists = await trx('responses').where({ round_id: r.roundId, organisation_id: r.organisationId }).first('id')
    if (exists) return
    const at = timestamp(r.at)
    const [row] = (await trx('responses').insert(
      {
        round_id: r.roundId,
        organisation_id: r.organisationId,
        status: r.status,
        version: 1,
        submitted_at: r.status === 'submitted' ? at : null,
        submitted_by: r.status === 'submitted' ? r.submittedBy : null,
        reference: r.status === 'submitted' ? responseReference(r.roundId, r.organisationId) : null,
        created_at: at,
        updated_at: at,
      },
      ['id'],
    )) as Array<{ id: number }>
    const responseId = row!.id
    const answers = criteria.slice(0, r.answerCount).map((criterion, i) => {
      const h = stableHash(`${r.seed}:${criterion.code}`)
      const notSure = h % 23 === 0
      const level = notSure ? null : (r.levels[i] ?? 2)
      const evidenceList = evidenceByDomain[criterion.domainCode] ?? evidenceByDomain.AV!
      return {
        response_id: responseId,
        criterion_id: criterion.id,
        level,
        not_sure: notSure,
        evidence:
          level !== null && level >= 2
            ? evidenceList[h % evidenceList.length]
            : level === 1
              ? 'Early discussions only; nothing agreed yet.'
              : null,
        support_needed: level !== null && level <= 2 && h % 3 === 0 ? supportIdeas[h % supportIdeas.length] : null,
        target_level: level !== null && level < 4 && h % 2 === 0 ? level + 1 : null,
        updated_at: at,
        updated_by: r.submittedBy,
      }
    })
    if (answers.length > 0) await trx('answers').insert(answers)
    // A domain whose every criterion is answered counts as marked complete by the partner.
    const answeredCodes = new Set(criteria.slice(0, r.answerCount).map((c) => c.code))
    const completeDomains = [...new Set(criteria.map((c) => c.domainCode))].filter((domain) =>
      criteria.filter((c) => c.domainCode === domain).every((c) => answeredCodes.has(c.code)),
    )
    if (completeDomains.length > 0) {
      await trx('response_domains').insert(
        completeDomains.map((domain) => ({ response_id: responseId, domain_code: domain, completed_at: at, completed_by: r.submittedBy })),
      )
    }
  }
}

async function createRound(
  trx: Knex.Transaction,
  icsId: number,
  versionId: number,
  title: string,
  opens: Date,
  closes: Date,
  placeIds: Map<string, number>,
  created: string,
): Promise<number> {
  const [row] = (await trx('rounds').insert(
    {
      ics_id: icsId,
      framework_version_id: versionId,
      title,
      opens_at: timestamp(opens),
      closes_at: timestamp(closes),
      created_at: created,
    },
    ['id'],
  )) as Array<{ id: number }>
  const roundId = row!.id
  await trx('round_places').insert([...placeIds.values()].map((placeId) => ({ round_id: roundId, place_id: placeId })))
  await trx('framework_versions').where({ id: versionId }).whereNull('locked_at').update({ locked_at: created })
  return roundId
}

/** Each partner's levels: the place's profile, nudged up or down a level for some partners. */
function levelsFor(place: DemoPlace, organisationIndex: number, round: 'baseline' | 'current'): number[] {
  return place.currentProfile.map((typical, i) => {
    const base = round === 'baseline' ? typical - (place.baselineGap[i] ?? 0) : typical
    const nudge = [0, 0, 0, 1, -1][stableHash(`${round}:${place.slug}:${organisationIndex}:${i}`) % 5]!
    return Math.min(4, Math.max(1, base + nudge))
  })
}

/** Where each partner stands in the open round: a mix of submitted, in progress and not started. */
function currentRoundState(place: DemoPlace, index: number): { status: 'submitted' | 'in_progress' | 'not_started'; answered: number } {
  if (place.slug === 'wirral') {
    // The demo partner (Wirral Council) is part-way through; Healthwatch has not started.
    const wirral: Array<{ status: 'submitted' | 'in_progress' | 'not_started'; answered: number }> = [
      { status: 'in_progress', answered: 7 },
      { status: 'submitted', answered: 16 },
      { status: 'submitted', answered: 16 },
      { status: 'submitted', answered: 16 },
      { status: 'submitted', answered: 16 },
      { status: 'in_progress', answered: 10 },
      { status: 'submitted', answered: 16 },
      { status: 'not_started', answered: 0 },
    ]
    return wirral[index] ?? { status: 'not_started', answered: 0 }
  }
  if (index < 3) return { status: 'submitted', answered: 16 }
  const h = stableHash(`${place.slug}:state:${index}`) % 5
  if (h === 0) return { status: 'not_started', answered: 0 }
  if (h === 1) return { status: 'in_progress', answered: 4 + (h % 8) }
  return { status: 'submitted', answered: 16 }
}
